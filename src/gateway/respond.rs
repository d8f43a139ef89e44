//! The answers' HTTP shape: CORS headers on everything (etcd's CORS wrapper,
//! default `--cors=*`), grpc-gateway's JSON success and error answers, and
//! Go's plain-text errors (docs/etcd-behaviour.md §1, §3).

use super::jsonpb;
use super::HttpResponse;
use crate::errors::EtcdError;

type Headers = Vec<(String, String)>;

fn cors() -> Headers {
    vec![
        (
            "Access-Control-Allow-Headers".into(),
            "accept, content-type, authorization".into(),
        ),
        (
            "Access-Control-Allow-Methods".into(),
            "POST, GET, OPTIONS, PUT, DELETE".into(),
        ),
        ("Access-Control-Allow-Origin".into(), "*".into()),
    ]
}

fn with(mut h: Headers, extra: &[(&str, &str)]) -> Headers {
    h.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    h
}

/// A successful gRPC answer rendered by grpc-gateway.
pub fn json_ok(body: String) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: with(
            cors(),
            &[
                ("Content-Type", "application/json"),
                ("Grpc-Metadata-Content-Type", "application/grpc"),
            ],
        ),
        body: body.into_bytes(),
    }
}

/// The headers of a failed gRPC call's answer: no `Grpc-Metadata-*`, the
/// call ended without header metadata.
pub fn error_headers() -> Headers {
    with(cors(), &[("Content-Type", "application/json")])
}

/// A gRPC error rendered by grpc-gateway: `{"error","code","message"}`.
pub fn grpc_error(code: i32, message: &str, http_status: u16) -> HttpResponse {
    HttpResponse {
        status: http_status,
        headers: error_headers(),
        body: jsonpb::encode_error(code, message).into_bytes(),
    }
}

/// An etcd error answered on a unary endpoint.
pub fn etcd_error(e: &EtcdError) -> HttpResponse {
    let code = e.code();
    grpc_error(code as i32, &e.to_string(), code.http_status())
}

/// Go's `http.Error`: text, a newline, `nosniff`.
pub fn text_error(status: u16, text: &str, extra: &[(&str, &str)]) -> HttpResponse {
    let mut headers = with(
        cors(),
        &[
            ("Content-Type", "text/plain; charset=utf-8"),
            ("X-Content-Type-Options", "nosniff"),
        ],
    );
    headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    HttpResponse {
        status,
        headers,
        body: format!("{text}\n").into_bytes(),
    }
}

/// The CORS wrapper's answer to OPTIONS.
pub fn preflight() -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: cors(),
        body: Vec::new(),
    }
}

/// Go's `http.Redirect` with 301, as `http.ServeMux` sends it.
pub fn redirect(method: &str, location: &str) -> HttpResponse {
    let mut headers = with(cors(), &[("Location", location)]);
    let mut body = Vec::new();
    if method == "GET" || method == "HEAD" {
        headers.push(("Content-Type".into(), "text/html; charset=utf-8".into()));
    }
    if method == "GET" {
        let href = location
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&#34;")
            .replace('\'', "&#39;");
        body = format!("<a href=\"{href}\">Moved Permanently</a>.\n\n").into_bytes();
    }
    HttpResponse {
        status: 301,
        headers,
        body,
    }
}

/// A plain (non-gateway) answer with a content type.
pub fn plain(status: u16, content_type: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse {
        status,
        headers: with(cors(), &[("Content-Type", content_type)]),
        body,
    }
}
