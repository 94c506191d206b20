//! What a hostile body or panel costs: each bound is met with its cause and its limit named.

use smoke_core::panel::{load_str, LoadOptions};
use std::path::Path;

#[test]
fn a_duplicate_key_is_named() {
    let text = "[panel]\nname = \"demo\"\n\n[[probe]]\nname = \"a\"\ntarget = \"x/rpc\"\nget = \"/\"\nget = \"/other\"\n";
    let err = load_str(text, Path::new("dup.toml"), &LoadOptions::default()).unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("duplicate key `get`"), "{shown}");
    assert_eq!((err.line, err.column), (8, 1), "{shown}");
}
