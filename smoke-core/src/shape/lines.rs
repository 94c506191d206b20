//! How a baseline file is laid out in lines: indented like `serde_json`'s pretty printer,
//! except that an object or list holding no object is written on one line.
//!
//! A key path's figures (`"json.result[].email": {"runs": 5, "depth": 2, "types": ["string"]}`)
//! are then one line, so a diff of two baselines names the path that moved; and the file is
//! half its pretty size, which is most of what reading it costs each `run`.

/// `compact` (JSON as `serde_json::to_string` writes it: no space outside strings) laid out in
/// lines, two-space indented, ending with a newline.
pub(super) fn one_line_leaves(compact: &str) -> String {
    let bytes = compact.as_bytes();
    let inline = leaves(bytes);
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    // How deep the one-line container we are in opened, if we are in one.
    let mut flat_from: Option<usize> = None;
    let mut text_from = 0;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    for (i, b) in structure(bytes) {
        match b {
            b'{' | b'[' => {
                out.push_str(&compact[text_from..=i]);
                text_from = i + 1;
                depth += 1;
                let empty = matches!(bytes.get(i + 1), Some(b'}' | b']'));
                if flat_from.is_none() && (inline.binary_search(&i).is_ok() || empty) {
                    flat_from = Some(depth);
                } else if flat_from.is_none() {
                    newline(&mut out, depth);
                }
            }
            b'}' | b']' => {
                out.push_str(&compact[text_from..i]);
                text_from = i;
                if flat_from.is_none() {
                    newline(&mut out, depth - 1);
                }
                if flat_from == Some(depth) {
                    flat_from = None;
                }
                depth -= 1;
            }
            b',' | b':' => {
                out.push_str(&compact[text_from..=i]);
                text_from = i + 1;
                if b == b',' && flat_from.is_none() {
                    newline(&mut out, depth);
                } else {
                    out.push(' ');
                }
            }
            _ => {}
        }
    }
    out.push_str(&compact[text_from..]);
    out.push('\n');
    out
}

/// Where each container that holds no object opens, in order: those are written on one line.
fn leaves(bytes: &[u8]) -> Vec<usize> {
    let mut leaves = Vec::new();
    // Each open container: where it opens, and whether an object is (or was) inside it.
    let mut open: Vec<(usize, bool)> = Vec::new();
    for (i, b) in structure(bytes) {
        match b {
            b'{' | b'[' => {
                if b == b'{' {
                    if let Some(parent) = open.last_mut() {
                        parent.1 = true;
                    }
                }
                open.push((i, false));
            }
            b'}' | b']' => {
                let Some((at, holds_object)) = open.pop() else {
                    continue;
                };
                if holds_object {
                    if let Some(parent) = open.last_mut() {
                        parent.1 = true;
                    }
                } else {
                    leaves.push(at);
                }
            }
            _ => {}
        }
    }
    leaves.sort_unstable();
    leaves
}

/// The bytes of JSON text outside its strings, with where each is.
fn structure(bytes: &[u8]) -> impl Iterator<Item = (usize, u8)> + '_ {
    let mut in_string = false;
    let mut escaped = false;
    bytes.iter().enumerate().filter_map(move |(i, &b)| {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            return None;
        }
        if b == b'"' {
            in_string = true;
            return None;
        }
        Some((i, b))
    })
}

#[cfg(test)]
mod tests {
    use super::one_line_leaves;
    use serde_json::json;

    #[test]
    fn objects_of_objects_are_indented_and_the_innermost_are_one_line() {
        let v = json!({
            "a": {"p.q": {"runs": 5, "types": ["string", "null"]}, "e": {}},
            "b": [1, 2],
            "c": "x{,:}\"[",
            "d": [],
        });
        let text = one_line_leaves(&serde_json::to_string(&v).unwrap());
        let want = r#"{
  "a": {
    "e": {},
    "p.q": {"runs": 5, "types": ["string", "null"]}
  },
  "b": [1, 2],
  "c": "x{,:}\"[",
  "d": []
}
"#;
        assert_eq!(text, want);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
    }

    #[test]
    fn a_flat_top_level_is_one_line() {
        assert_eq!(one_line_leaves(r#"{"a":1}"#), "{\"a\": 1}\n");
        assert_eq!(one_line_leaves("[]"), "[]\n");
        assert_eq!(one_line_leaves("3"), "3\n");
    }
}
