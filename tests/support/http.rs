//! The runner's transport to a server over real sockets: a plain HTTP/1.1
//! client on `std::net` that keeps what the comparison needs (status,
//! headers in order, exact body bytes, chunk boundaries), in wall time.
//! A long request (watch, keep-alive) is read by a thread of its own while
//! the runner goes on sending.

use super::answer::{Answer, Head, Taken};
use super::runner::{Failure, Request, Take, Transport};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long connecting a stream may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// The least time a `stream_expect` waits for the messages it expects: the
/// recorder's own wait can be shorter than a loaded machine needs.
const MIN_STREAM_WAIT: Duration = Duration::from_secs(5);

/// Members reached at their client URLs, member 0 first.
pub struct HttpTransport {
    members: Vec<SocketAddr>,
}

impl HttpTransport {
    pub fn new(members: Vec<SocketAddr>) -> Self {
        HttpTransport { members }
    }

    fn connect(&self, member: usize, timeout: Duration) -> Result<TcpStream, Failure> {
        let addr = self
            .members
            .get(member)
            .ok_or_else(|| Failure::Io(format!("no client URL for member {member}")))?;
        TcpStream::connect_timeout(addr, timeout).map_err(|e| match e.kind() {
            io::ErrorKind::ConnectionRefused => Failure::Refused,
            _ => io_failure(&e),
        })
    }
}

fn io_failure(e: &io::Error) -> Failure {
    match e.kind() {
        // a read past its timeout says WouldBlock on Unix
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Failure::Io("timeout".into()),
        kind => Failure::Io(format!("{kind:?}")),
    }
}

/// The request line, the headers as given, and the body: raw after a
/// `Content-Length`, as one chunk when the body goes chunked.
fn write_request(w: &mut impl Write, req: &Request, body: Option<&[u8]>) -> io::Result<()> {
    let mut out = format!("{} {} HTTP/1.1\r\n", req.method, req.path).into_bytes();
    for (k, v) in &req.headers {
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    match body {
        Some(b) if req.is_chunked() => out.extend_from_slice(&chunk(b)),
        Some(b) => out.extend_from_slice(b),
        None => {}
    }
    w.write_all(&out)
}

/// One chunk of a chunked body; nothing for no data (an empty chunk would
/// end the body).
fn chunk(data: &[u8]) -> Vec<u8> {
    if data.is_empty() {
        return Vec::new();
    }
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// How the response body is delimited (RFC 9112 section 6.3).
enum Framing {
    Chunked,
    Length(usize),
    UntilClose,
    /// A HEAD answer has no body whatever its headers say.
    Empty,
}

impl Framing {
    fn of(head: &Head, method: &str) -> Framing {
        let header = |name: &str| {
            head.1
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
        };
        if method == "HEAD" {
            Framing::Empty
        } else if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            Framing::Chunked
        } else if let Some(n) = header("content-length").and_then(|v| v.parse().ok()) {
            Framing::Length(n)
        } else {
            Framing::UntilClose
        }
    }
}

/// Reads one response off a connection, piece by piece.
struct ResponseReader<R: Read> {
    conn: BufReader<R>,
}

impl<R: Read> ResponseReader<R> {
    fn new(conn: R) -> Self {
        ResponseReader {
            conn: BufReader::new(conn),
        }
    }

    fn line(&mut self) -> io::Result<String> {
        let mut line = Vec::new();
        self.conn.read_until(b'\n', &mut line)?;
        if line.last() != Some(&b'\n') {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        // header bytes are Latin-1: every byte is one char
        Ok(line.iter().map(|&b| b as char).collect())
    }

    /// The status line and headers; `None` when the connection closed (or
    /// was reset, with request bytes still unread) before a byte of answer:
    /// the Node server's way to refuse a request to a member that is down,
    /// as etcd's closed port would.
    fn head(&mut self) -> io::Result<Option<Head>> {
        match self.conn.fill_buf() {
            Ok([]) => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(None),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        let status_line = self.line()?;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, status_line.clone()))?;
        let mut headers = Vec::new();
        loop {
            let line = self.line()?;
            if line.is_empty() {
                return Ok(Some((status, headers)));
            }
            let (k, v) = line
                .split_once(':')
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, line.clone()))?;
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }

    /// The next piece of the body as it came (one chunk of a chunked body),
    /// `None` at its end.
    fn piece(&mut self, framing: &mut Framing) -> io::Result<Option<Vec<u8>>> {
        match framing {
            Framing::Empty | Framing::Length(0) => Ok(None),
            Framing::Length(n) => {
                let mut data = vec![0; *n];
                self.conn.read_exact(&mut data)?;
                *framing = Framing::Length(0);
                Ok(Some(data))
            }
            Framing::UntilClose => {
                let mut data = vec![0; 65536];
                let n = self.conn.read(&mut data)?;
                data.truncate(n);
                Ok((n > 0).then_some(data))
            }
            Framing::Chunked => {
                let size_line = self.line()?;
                let size = size_line.split(';').next().unwrap_or("").trim();
                let size = usize::from_str_radix(size, 16)
                    .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, size_line.clone()))?;
                if size == 0 {
                    // trailers, up to the empty line
                    while !self.line()?.is_empty() {}
                    *framing = Framing::Empty;
                    return Ok(None);
                }
                let mut data = vec![0; size + 2];
                self.conn.read_exact(&mut data)?;
                data.truncate(size);
                Ok(Some(data))
            }
        }
    }

    /// Reads the rest of the body into `answer`.
    fn body_into(&mut self, mut framing: Framing, answer: &Shared) -> io::Result<()> {
        while let Some(data) = self.piece(&mut framing)? {
            lock(answer).push_data(&data);
            answer.1.notify_all();
        }
        lock(answer).end();
        answer.1.notify_all();
        Ok(())
    }
}

/// An answer being read by one thread and looked at by another.
type Shared = Arc<(Mutex<Answer>, Condvar)>;

fn lock(shared: &Shared) -> MutexGuard<'_, Answer> {
    // a reader thread that panicked leaves a usable answer behind
    shared.0.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waits until `done` holds or `timeout` passed.
fn wait_until(shared: &Shared, timeout: Duration, done: impl Fn(&Answer) -> bool) {
    let guard = lock(shared);
    let waited = shared.1.wait_timeout_while(guard, timeout, |a| !done(a));
    drop(waited);
}

/// Reads a whole response into `answer`, or marks it refused.
fn read_into(conn: impl Read, method: &str, answer: &Shared) -> io::Result<()> {
    let mut reader = ResponseReader::new(conn);
    let Some(head) = reader.head()? else {
        lock(answer).refused = true;
        answer.1.notify_all();
        return Ok(());
    };
    let framing = Framing::of(&head, method);
    let mut a = lock(answer);
    a.chunked = matches!(framing, Framing::Chunked);
    a.head = Some(head);
    drop(a);
    answer.1.notify_all();
    reader.body_into(framing, answer)
}

/// Reads a whole response.
fn read_answer(conn: impl Read, method: &str) -> Result<Answer, Failure> {
    let shared: Shared = Default::default();
    read_into(conn, method, &shared).map_err(|e| io_failure(&e))?;
    let answer = std::mem::take(&mut *lock(&shared));
    if answer.refused {
        return Err(Failure::Refused);
    }
    Ok(answer)
}

/// Sends a whole request and reads its whole answer, each read and write
/// within `timeout`.
fn exchange(
    mut conn: TcpStream,
    timeout: Duration,
    request: &Request,
    body: Option<&[u8]>,
) -> Result<Answer, Failure> {
    let sent = conn
        .set_read_timeout(Some(timeout))
        .and_then(|_| conn.set_write_timeout(Some(timeout)))
        .and_then(|_| write_request(&mut conn, request, body));
    sent.map_err(|e| io_failure(&e))?;
    read_answer(conn, &request.method)
}

/// A long request: the connection to write more of the body to, and the
/// answer a reader thread fills.
pub struct Stream {
    conn: TcpStream,
    answer: Shared,
    reader: Option<JoinHandle<()>>,
}

impl Transport for HttpTransport {
    type Stream = Stream;

    fn host(&self, member: usize) -> String {
        match self.members.get(member) {
            Some(addr) => addr.to_string(),
            None => format!("member-{member}"),
        }
    }

    fn unary(
        &mut self,
        member: usize,
        request: Request,
        body: Option<Vec<u8>>,
        timeout_ms: u64,
    ) -> Result<Answer, Failure> {
        let timeout = Duration::from_millis(timeout_ms.max(1));
        let conn = self.connect(member, timeout)?;
        exchange(conn, timeout, &request, body.as_deref())
    }

    fn open(
        &mut self,
        member: usize,
        request: Request,
        body: Option<Vec<u8>>,
        head_timeout_ms: u64,
    ) -> Result<(Stream, Option<Head>), Failure> {
        let mut conn = self.connect(member, CONNECT_TIMEOUT)?;
        write_request(&mut conn, &request, body.as_deref()).map_err(|e| io_failure(&e))?;
        let read_half = conn.try_clone().map_err(|e| io_failure(&e))?;
        let answer: Shared = Default::default();
        let filled = Arc::clone(&answer);
        let reader = std::thread::spawn(move || {
            if read_into(read_half, "POST", &filled).is_err() {
                // closed or reset: the answer ends where it broke off
                lock(&filled).ended = true;
                filled.1.notify_all();
            }
        });
        let head_timeout = Duration::from_millis(head_timeout_ms);
        wait_until(&answer, head_timeout, |a| a.head.is_some() || a.done());
        let (head, refused) = {
            let a = lock(&answer);
            (a.head.clone(), a.refused)
        };
        let stream = Stream {
            conn,
            answer,
            reader: Some(reader),
        };
        if refused {
            self.close(stream);
            return Err(Failure::Refused);
        }
        Ok((stream, head))
    }

    fn send(&mut self, stream: &mut Stream, data: &[u8], eof: bool) {
        let mut out = chunk(data);
        if eof {
            out.extend_from_slice(b"0\r\n\r\n");
        }
        // a server that closed the stream no longer reads: what it answered
        // until then is what the next expectation sees
        let _ = stream.conn.write_all(&out);
    }

    fn take(&mut self, stream: &mut Stream, how: Take) -> Taken {
        let wait = Duration::from_millis(how.wait_ms);
        match how.count {
            // the recorder waited `wait` and took what had arrived; this
            // waits for as many messages, then a grace for unexpected ones
            Some(count) => {
                let timeout = MIN_STREAM_WAIT.max(wait * 4);
                wait_until(&stream.answer, timeout, |a| a.unread() >= count || a.ended);
                let grace = Duration::from_millis(how.grace_ms);
                wait_until(&stream.answer, grace, |a| a.unread() > count || a.ended);
            }
            None => std::thread::sleep(wait),
        }
        lock(&stream.answer).take()
    }

    fn close(&mut self, mut stream: Stream) {
        let _ = stream.conn.shutdown(Shutdown::Both);
        if let Some(reader) = stream.reader.take() {
            let _ = reader.join();
        }
    }

    fn sleep(&mut self, ms: u64) {
        let until = Instant::now() + Duration::from_millis(ms);
        std::thread::sleep(until.saturating_duration_since(Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::super::runner::Runner;
    use super::*;
    use serde_json::{json, Value};
    use std::net::TcpListener;

    /// A server that answers each connection, in order, with the next of
    /// `answers` (raw bytes), after reading the request head.
    fn serve(answers: Vec<&'static [u8]>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let addr = listener.local_addr().expect("its address");
        std::thread::spawn(move || {
            for answer in answers {
                let Ok((mut conn, _)) = listener.accept() else {
                    return;
                };
                let mut head = Vec::new();
                let mut byte = [0u8];
                while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let _ = conn.write_all(answer);
            }
        });
        addr
    }

    fn replay(addr: SocketAddr, steps: Value) -> Vec<String> {
        Runner::new(HttpTransport::new(vec![addr])).run(&json!({ "steps": steps }))
    }

    fn put_step(expect_body: Value) -> Value {
        json!({
            "path": "/v3/kv/put",
            "body": "{\"key\":\"YQ==\"}",
            "expect": {"status": 200, "headers": {"content-type": "application/json"}, "body": expect_body},
        })
    }

    const PUT_ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
        Content-Length: 27\r\nConnection: close\r\n\r\n{\"header\":{\"revision\":\"2\"}}";

    #[test]
    fn an_answer_as_recorded_passes_over_a_socket() {
        let addr = serve(vec![PUT_ANSWER]);
        let diffs = replay(
            addr,
            json!([put_step(json!({"header": {"revision": "2"}}))]),
        );
        assert_eq!(diffs, Vec::<String>::new());
    }

    #[test]
    fn an_answer_that_differs_from_the_recording_fails() {
        let addr = serve(vec![PUT_ANSWER]);
        let diffs = replay(
            addr,
            json!([put_step(json!({"header": {"revision": "3"}}))]),
        );
        assert_eq!(diffs.len(), 1, "{diffs:?}");
        assert!(
            diffs[0].contains("header.revision") && diffs[0].contains("\"3\""),
            "{diffs:?}"
        );
    }

    /// The Node server closes the connection of a request to a member that
    /// is down without a byte of answer.
    #[test]
    fn a_connection_closed_without_answer_is_a_refused_request() {
        let addr = serve(vec![b""]);
        let diffs = replay(addr, json!([put_step(json!({}))]));
        assert_eq!(
            diffs,
            vec!["step 0 ( /v3/kv/put): request failed: connect: ConnectionRefusedError"]
        );
    }

    #[test]
    fn an_answer_that_does_not_come_in_time_is_a_timeout() {
        // connections wait in the backlog of a listener that never accepts
        let silent = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let addr = silent.local_addr().expect("its address");
        let mut step = put_step(json!({}));
        step["timeout"] = json!(0.2);
        assert_eq!(
            replay(addr, json!([step])),
            vec!["step 0 ( /v3/kv/put): request failed: io: timeout"]
        );
    }

    /// A watch answer: messages split across chunks as a server may send
    /// them (object and newline apart), then the end of the body.
    const WATCH_ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
        Transfer-Encoding: chunked\r\n\r\n\
        14\r\n{\"result\":{\"a\":\"1\"}}\r\n1\r\n\n\r\n\
        15\r\n{\"result\":{\"a\":\"2\"}}\n\r\n0\r\n\r\n";

    #[test]
    fn a_chunked_stream_is_read_message_by_message_until_its_end() {
        let addr = serve(vec![WATCH_ANSWER]);
        let steps = json!([
            {"type": "stream_open", "stream": "w", "path": "/v3/watch", "body": "{}", "keep_open": true,
             "expect": {"status": 200, "headers": {"content-type": "application/json"}}},
            {"type": "stream_expect", "stream": "w", "wait": 0.1,
             "expect": {"stream": [{"result": {"a": "1"}}, {"result": {"a": "2"}}], "ended": true}},
        ]);
        assert_eq!(replay(addr, steps.clone()), Vec::<String>::new());

        let mut wrong = steps;
        wrong[1]["expect"]["stream"][1]["result"]["a"] = json!("3");
        wrong[1]["expect"]["ended"] = json!(false);
        let diffs = replay(serve(vec![WATCH_ANSWER]), wrong);
        assert_eq!(diffs.len(), 2, "{diffs:?}");
        assert!(diffs[0].contains("msg[1].result.a"), "{diffs:?}");
        assert!(diffs[1].contains("stream ended"), "{diffs:?}");
    }

    #[test]
    fn chunk_boundaries_of_a_unary_answer_are_kept() {
        let answer = read_answer_from(WATCH_ANSWER, "POST");
        assert!(answer.chunked && answer.ended);
        let chunks: Vec<&[u8]> = answer.chunks.iter().map(Vec::as_slice).collect();
        assert_eq!(
            chunks,
            [
                &b"{\"result\":{\"a\":\"1\"}}"[..],
                b"\n",
                b"{\"result\":{\"a\":\"2\"}}\n"
            ]
        );
        assert!(read_answer_from(PUT_ANSWER, "HEAD").body().is_empty());
    }

    fn read_answer_from(bytes: &'static [u8], method: &str) -> Answer {
        let addr = serve(vec![bytes]);
        let mut conn = TcpStream::connect(addr).expect("the fake server");
        conn.write_all(b"POST / HTTP/1.1\r\n\r\n")
            .expect("a request");
        read_answer(conn, method).unwrap_or_else(|_| panic!("no whole answer"))
    }
}
