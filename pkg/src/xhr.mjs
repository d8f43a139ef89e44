// XMLHttpRequest for member URLs, built on the member fetch(); every other
// URL is handed to the original XMLHttpRequest, whose events are re-fired.

const EVENTS = ['readystatechange', 'loadstart', 'progress', 'abort', 'error', 'load', 'timeout', 'loadend'];
const STATES = { UNSENT: 0, OPENED: 1, HEADERS_RECEIVED: 2, LOADING: 3, DONE: 4 };

/**
 * @param {typeof fetch} memberFetch answers member URLs
 * @param {(url: URL) => boolean} isMember
 * @param {() => typeof XMLHttpRequest | undefined} original the XMLHttpRequest for every other URL
 */
export function memberXMLHttpRequest(memberFetch, isMember, original) {
  class XMLHttpRequest extends EventTarget {
    #real = null;
    #settings = { responseType: '', withCredentials: false, timeout: 0 };
    #state = STATES.UNSENT;
    #method = 'GET';
    #url = null;
    #headers = new Headers();
    #abort = null;
    #response = null;
    #chunks = [];

    constructor() {
      super();
      for (const type of EVENTS) {
        this[`on${type}`] = null;
        this.addEventListener(type, (event) => this[`on${type}`]?.call(this, event));
      }
    }

    open(method, url, async = true) {
      const resolved = new URL(url, globalThis.location?.href);
      this.#abort?.abort();
      this.#abort = null;
      if (!isMember(resolved)) {
        const Real = original();
        if (!Real) throw new DOMException(`no XMLHttpRequest for ${resolved.href}`, 'NotSupportedError');
        this.#real = new Real();
        Object.assign(this.#real, this.#settings);
        for (const type of EVENTS) {
          this.#real.addEventListener(type, (event) => this.#fire(type, event));
        }
        this.#real.open(method, url, async);
        return;
      }
      if (!async) {
        throw new DOMException('synchronous requests to simulated members are not supported', 'InvalidAccessError');
      }
      this.#real = null;
      this.#method = method.toUpperCase();
      this.#url = resolved;
      this.#headers = new Headers();
      this.#response = null;
      this.#chunks = [];
      this.#setState(STATES.OPENED);
    }

    setRequestHeader(name, value) {
      if (this.#real) return this.#real.setRequestHeader(name, value);
      this.#expect(STATES.OPENED);
      this.#headers.append(name, value);
    }

    send(body = null) {
      if (this.#real) return this.#real.send(body);
      this.#expect(STATES.OPENED);
      const abort = new AbortController();
      this.#abort = abort;
      const init = { method: this.#method, headers: this.#headers, signal: abort.signal };
      if (body !== null && this.#method !== 'GET' && this.#method !== 'HEAD') init.body = body;
      this.#fire('loadstart');
      this.#receive(init, abort.signal);
    }

    abort() {
      if (this.#real) return this.#real.abort();
      if (this.#abort && !this.#abort.signal.aborted) {
        this.#abort.abort();
        this.#finish('abort');
      }
      if (this.#state === STATES.DONE) this.#state = STATES.UNSENT;
    }

    getResponseHeader(name) {
      if (this.#real) return this.#real.getResponseHeader(name);
      return this.#response?.headers.get(name) ?? null;
    }

    getAllResponseHeaders() {
      if (this.#real) return this.#real.getAllResponseHeaders();
      return [...(this.#response?.headers ?? [])].map(([k, v]) => `${k}: ${v}\r\n`).join('');
    }

    overrideMimeType(mime) {
      this.#real?.overrideMimeType(mime);
    }

    get responseType() {
      return this.#real ? this.#real.responseType : this.#settings.responseType;
    }

    set responseType(value) {
      if (this.#real) this.#real.responseType = value;
      else this.#settings.responseType = value;
    }

    get withCredentials() {
      return this.#real ? this.#real.withCredentials : this.#settings.withCredentials;
    }

    set withCredentials(value) {
      if (this.#real) this.#real.withCredentials = value;
      else this.#settings.withCredentials = value;
    }

    get timeout() {
      return this.#real ? this.#real.timeout : this.#settings.timeout;
    }

    set timeout(value) {
      if (this.#real) this.#real.timeout = value;
      else this.#settings.timeout = value;
    }

    get readyState() {
      return this.#real ? this.#real.readyState : this.#state;
    }

    get status() {
      return this.#real ? this.#real.status : (this.#response?.status ?? 0);
    }

    get statusText() {
      return this.#real ? this.#real.statusText : (this.#response?.statusText ?? '');
    }

    get responseURL() {
      return this.#real ? this.#real.responseURL : (this.#response?.url ?? '');
    }

    get responseText() {
      if (this.#real) return this.#real.responseText;
      return new TextDecoder().decode(this.#bytes());
    }

    get response() {
      if (this.#real) return this.#real.response;
      const type = this.#settings.responseType;
      if (type === '' || type === 'text') return this.responseText;
      if (this.#state !== STATES.DONE || !this.#response) return null;
      if (type === 'arraybuffer') return this.#bytes().buffer;
      if (type === 'json') {
        try {
          return JSON.parse(this.responseText);
        } catch {
          return null;
        }
      }
      return null;
    }

    async #receive(init, signal) {
      try {
        const response = await memberFetch(this.#url, init);
        if (signal.aborted) return;
        this.#response = response;
        this.#setState(STATES.HEADERS_RECEIVED);
        if (response.body) {
          for await (const chunk of response.body) {
            this.#chunks.push(chunk);
            this.#setState(STATES.LOADING);
            this.#fire('progress');
          }
        }
        this.#abort = null;
        this.#setState(STATES.DONE);
        this.#fire('load');
        this.#fire('loadend');
      } catch {
        if (!signal.aborted) this.#finish('error');
      }
    }

    // A request ends without a response: network error or abort().
    #finish(type) {
      this.#abort = null;
      this.#response = null;
      this.#chunks = [];
      this.#setState(STATES.DONE);
      this.#fire(type);
      this.#fire('loadend');
    }

    #bytes() {
      const out = new Uint8Array(this.#chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of this.#chunks) {
        out.set(c, at);
        at += c.length;
      }
      return out;
    }

    #expect(state) {
      if (this.#state !== state || this.#abort) {
        throw new DOMException('The object is in an invalid state.', 'InvalidStateError');
      }
    }

    #setState(state) {
      this.#state = state;
      this.#fire('readystatechange');
    }

    #fire(type, from) {
      const Progress = type === 'readystatechange' ? Event : (globalThis.ProgressEvent ?? Event);
      const { lengthComputable = false, loaded = 0, total = 0 } = from ?? {};
      this.dispatchEvent(new Progress(type, { lengthComputable, loaded, total }));
    }
  }

  for (const [name, value] of Object.entries(STATES)) {
    Object.defineProperty(XMLHttpRequest, name, { value });
    Object.defineProperty(XMLHttpRequest.prototype, name, { value });
  }
  return XMLHttpRequest;
}
