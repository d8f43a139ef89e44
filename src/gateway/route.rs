//! Which handler a request reaches, following the muxes etcd 3.5.1 stacks:
//! a CORS wrapper (answers every OPTIONS), `/v3beta/` rewritten to `/v3/`,
//! Go's `http.ServeMux` (path cleaning, `/v3/` subtree redirect, `/` for
//! the rest) and grpc-gateway's mux under `/v3/` (POST only), whose paths
//! are the RPC table's (`pb::rpcs!`).

use crate::pb::Rpc;

/// Where a request goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// The CORS wrapper answers OPTIONS on any path: 200, empty body.
    Preflight,
    /// `http.ServeMux` redirect (unclean path, or `/v3` without slash).
    Redirect(String),
    /// A gateway RPC.
    Rpc(Rpc),
    /// grpc-gateway: the path exists for another method.
    MethodNotAllowed,
    /// grpc-gateway: nothing under `/v3/` matches: `Not Found`.
    GatewayNotFound,
    /// etcd's plain HTTP handlers.
    Version,
    Health,
    Metrics,
    DebugVars,
    /// A plain handler reached with the wrong method: 405 with `Allow`.
    PlainMethodNotAllowed(&'static str),
    /// `http.ServeMux`'s `404 page not found`.
    NotFound,
}

/// Whether `p` is already what [`clean_path`] makes of it: rooted, no
/// empty, `.` or `..` segment (a trailing slash is kept). The common case,
/// told without building anything.
fn is_clean(p: &str) -> bool {
    let Some(rest) = p.strip_prefix('/') else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    rest.split('/').all(|s| !matches!(s, "" | "." | ".."))
}

/// Go's `path.Clean` as `http.ServeMux` applies it (keeping a trailing slash).
fn clean_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut s = String::from("/");
    s.push_str(&out.join("/"));
    if p.ends_with('/') && s != "/" {
        s.push('/');
    }
    s
}

pub fn route(method: &str, raw_path: &str) -> Route {
    if method == "OPTIONS" {
        return Route::Preflight;
    }
    let (path, query) = match raw_path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (raw_path, None),
    };
    let path = if path.is_empty() { "/" } else { path };
    // etcd rewrites /v3beta/ to /v3/ before its mux sees the request
    let path: std::borrow::Cow<str> = match path.strip_prefix("/v3beta/") {
        Some(rest) => format!("/v3/{rest}").into(),
        None => path.into(),
    };
    if method != "CONNECT" && !is_clean(&path) {
        let clean = clean_path(&path);
        if clean != path {
            return Route::Redirect(with_query(clean, query));
        }
    }
    if path == "/v3" {
        return Route::Redirect(with_query("/v3/".into(), query));
    }
    if let Some(rest) = path.strip_prefix("/v3/") {
        return match Rpc::at_path(rest) {
            Some(rpc) if method == "POST" => Route::Rpc(rpc),
            Some(_) => Route::MethodNotAllowed,
            None => Route::GatewayNotFound,
        };
    }
    let get_only = |r: Route| {
        if method == "GET" {
            r
        } else {
            Route::PlainMethodNotAllowed("GET")
        }
    };
    match path.as_ref() {
        "/version" => get_only(Route::Version),
        "/health" => get_only(Route::Health),
        "/metrics" => Route::Metrics,
        "/debug/vars" => Route::DebugVars,
        _ => Route::NotFound,
    }
}

fn with_query(path: String, query: Option<&str>) -> String {
    match query {
        Some(q) => format!("{path}?{q}"),
        None => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_paths_accept_post_only() {
        assert_eq!(route("POST", "/v3/kv/range"), Route::Rpc(Rpc::Range));
        assert_eq!(route("GET", "/v3/kv/range"), Route::MethodNotAllowed);
        assert_eq!(route("PUT", "/v3/watch"), Route::MethodNotAllowed);
    }

    #[test]
    fn query_strings_are_ignored() {
        assert_eq!(
            route("POST", "/v3/kv/range?key=Zm9v"),
            Route::Rpc(Rpc::Range)
        );
    }

    #[test]
    fn unknown_paths_under_v3_are_the_gateways_not_found() {
        for p in [
            "/v3/kv/foo",
            "/v3/kv",
            "/v3/kv/range/",
            "/v3/kv/Range",
            "/v3/maintenance/hashkv",
        ] {
            assert_eq!(route("POST", p), Route::GatewayNotFound, "{p}");
        }
    }

    #[test]
    fn paths_outside_the_gateway_are_the_muxs_not_found() {
        for p in [
            "/",
            "/V3/kv/range",
            "/v3alpha/kv/range",
            "/readyz",
            "/v2/keys/foo",
        ] {
            assert_eq!(route("POST", p), Route::NotFound, "{p}");
        }
    }

    #[test]
    fn v3beta_is_an_alias() {
        assert_eq!(
            route("POST", "/v3beta/kv/lease/leases"),
            Route::Rpc(Rpc::LeaseLeases)
        );
    }

    #[test]
    fn v3_without_slash_redirects() {
        assert_eq!(route("GET", "/v3"), Route::Redirect("/v3/".into()));
        assert_eq!(
            route("POST", "/v3/kv/../kv/range"),
            Route::Redirect("/v3/kv/range".into())
        );
    }

    #[test]
    fn clean_paths_are_told_without_cleaning_them() {
        for p in [
            "/",
            "/v3/",
            "/v3/kv/range",
            "/v3//kv",
            "/v3/./kv",
            "/v3/kv/..",
            "/v3/kv/.",
            "//",
            "/./",
            "/../",
            "/a/b/",
            "/a..b/.c/",
            "",
            "v3/kv",
            "/v3/kv//",
        ] {
            assert_eq!(is_clean(p), clean_path(p) == p, "{p:?}");
        }
    }

    #[test]
    fn options_is_a_preflight_everywhere() {
        assert_eq!(route("OPTIONS", "/v3/kv/range"), Route::Preflight);
    }

    #[test]
    fn health_and_version_are_get_only() {
        assert_eq!(route("GET", "/health?serializable=true"), Route::Health);
        assert_eq!(
            route("POST", "/health"),
            Route::PlainMethodNotAllowed("GET")
        );
    }
}
