//! Data contexts, picked per request by the `X-Hero-Context` header.

/// The header that picks a data context.
pub const CONTEXT_HEADER: &str = "x-hero-context";

/// The contexts every herodemo service knows; `root` is the fallback.
pub const CONTEXTS: [&str; 5] = ["root", "default", "geomind", "incubaid", "threefold"];

/// The context a request asked for, as the real services resolve it: a missing or unknown
/// name falls back to `root` rather than failing (that fallback is real behaviour, which is
/// why the ContextFallback fault is so hard to notice).
pub fn resolve(header: Option<&str>) -> &'static str {
    header
        .map(|h| h.trim().to_ascii_lowercase())
        .and_then(|h| CONTEXTS.iter().copied().find(|c| *c == h))
        .unwrap_or("root")
}

/// A known context named exactly `name` (used where the context is part of a path).
pub fn known(name: &str) -> Option<&'static str> {
    CONTEXTS.iter().copied().find(|c| *c == name)
}

/// A number stable per context, so generated data differs between contexts but not runs.
pub(crate) fn seed(context: &str) -> usize {
    CONTEXTS.iter().position(|c| *c == context).unwrap_or(0)
}
