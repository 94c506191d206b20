//! The landmarks of an HTML answer: its elements counted by id and by tag.
//!
//! The body is parsed as `html()` conditions parse it, within [`MAX_HTML_DEPTH`] and
//! [`MAX_HTML_ELEMENTS`]; the count then walks the tree without recursing, so the parser's
//! bounds are the walk's too (counting an element costs far less than building it).
//!
//! [`MAX_HTML_DEPTH`]: crate::condition::MAX_HTML_DEPTH
//! [`MAX_HTML_ELEMENTS`]: crate::condition::MAX_HTML_ELEMENTS

use std::collections::BTreeMap;

use super::{HtmlShape, Shape, MAX_NAME_CHARS, MAX_SHAPE_PATHS};
use crate::condition::{cut_to, Evaluation};
use crate::observation::Observation;

/// Fills `shape.html` from the body of `obs`; a body past a parser bound is HTML of which
/// nothing is known, and the shape says it is truncated.
pub(super) fn count(obs: &Observation, shape: &mut Shape) {
    let mut html = HtmlShape::default();
    match Evaluation::new(obs).html() {
        Ok(doc) => {
            for node in doc.tree.root().descendants() {
                let Some(element) = node.value().as_element() else {
                    continue;
                };
                let mut kept = tally(&mut html.tags, element.name());
                if let Some(id) = element.id() {
                    kept &= tally(&mut html.ids, id);
                }
                shape.truncated |= !kept;
            }
        }
        Err(_) => shape.truncated = true,
    }
    shape.html = Some(html);
}

/// Counts one more `name`, unless it would be a name past [`MAX_SHAPE_PATHS`]; says whether
/// it was counted.
fn tally(counts: &mut BTreeMap<String, u64>, name: &str) -> bool {
    let name = cut_to(name, MAX_NAME_CHARS);
    if let Some(n) = counts.get_mut(&name) {
        *n += 1;
        return true;
    }
    if counts.len() >= MAX_SHAPE_PATHS {
        return false;
    }
    counts.insert(name, 1);
    true
}
