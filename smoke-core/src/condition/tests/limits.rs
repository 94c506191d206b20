//! The bounds on what a condition may ask the selector and JSONPath parsers to do: each is a
//! load error at a column naming the limit, never a stack overflow or a stall.

use super::*;
use crate::condition::MAX_NESTING;
#[cfg(feature = "html")]
use crate::condition::MAX_SUBJECT_CHARS;

/// `html(` then `depth` times `:not(`, an `a`, and every paren closed.
#[cfg(feature = "html")]
fn nested_not(depth: usize) -> String {
    format!("html({}a{}) >= 1", ":not(".repeat(depth), ")".repeat(depth))
}

/// `$` then `depth` nested `[?@` filters, each closed.
fn nested_filters(depth: usize) -> String {
    format!("${}{} exists", "[?@".repeat(depth), "]".repeat(depth))
}

// It uses html(), which needs the `html` feature.
#[cfg(feature = "html")]
#[test]
fn thousands_of_nested_selectors_are_refused_at_the_level_past_the_limit() {
    // `html(` is the first level; the first `:not(` past the limit opens at this column.
    let column = "html(".len() + (MAX_NESTING - 1) * ":not(".len() + ":not".len() + 1;
    let limit = format!("the limit is {MAX_NESTING}");
    rejects(&nested_not(3000), column, &limit);
    // At the limit it still parses.
    assert!(Condition::parse(&nested_not(MAX_NESTING - 1)).is_ok());
}

#[test]
fn thousands_of_nested_filters_are_refused_at_the_level_past_the_limit() {
    let column = 1 + MAX_NESTING * "[?@".len() + 1;
    let limit = format!("the limit is {MAX_NESTING}");
    rejects(&nested_filters(5000), column, &limit);
    assert!(Condition::parse(&nested_filters(MAX_NESTING)).is_ok());
}

#[test]
fn nested_filters_past_the_limit_are_refused_in_the_dotted_form_and_in_values() {
    let limit = format!("the limit is {MAX_NESTING}");
    // Deep filters whose parse time doubled per level (24 levels took 23 s).
    let deep = format!("json{} == 1", "[?@.a".repeat(24) + &"]".repeat(24));
    rejects(&deep, 5 + MAX_NESTING * "[?@.a".len(), &limit);
    let list = format!("status in {}200{}", "[".repeat(5000), "]".repeat(5000));
    rejects(&list, 11 + MAX_NESTING, &limit);
}

// It uses html(), which needs the `html` feature.
#[cfg(feature = "html")]
#[test]
fn a_subject_longer_than_the_limit_is_refused_at_its_start() {
    let long = format!("html({}) >= 1", "a ".repeat(MAX_SUBJECT_CHARS));
    rejects(&long, 1, &format!("the limit is {MAX_SUBJECT_CHARS}"));
    let long_path = format!("json.{} exists", "a.".repeat(MAX_SUBJECT_CHARS / 2) + "a");
    rejects(&long_path, 1, &format!("the limit is {MAX_SUBJECT_CHARS}"));
    let fits = format!("html({}) >= 1", "a ".repeat(MAX_SUBJECT_CHARS / 2 - 10));
    assert!(Condition::parse(&fits).is_ok());
}

#[test]
fn a_path_descends_at_most_once() {
    assert!(Condition::parse("$..* exists").is_ok());
    assert!(Condition::parse("$..name contains a").is_ok());
    assert!(Condition::parse("$.a[?@.b == '..x..'] exists").is_ok());
    rejects("$..*..* exists", 5, "a second `..`");
    rejects("$..a[?@..b] exists", 8, "at most 1 time");
}

#[test]
fn a_filter_reads_its_node_not_the_whole_body() {
    assert!(Condition::parse("$.items[?@.n > 1] exists").is_ok());
    assert!(Condition::parse("$.items[?@.name == '$x'] exists").is_ok());
    rejects("$[?count($[*]) > 0] exists", 10, "`$` inside a filter");
    rejects("json.items[?@.n == $.max] exists", 20, "use `@`");
}
