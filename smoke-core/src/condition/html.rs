//! Parsing an HTML body within [`MAX_HTML_DEPTH`] and [`MAX_HTML_ELEMENTS`] and the deadline.
//!
//! scraper's own tree sink does the building; this one wraps it to count what the parser
//! builds, and the body is fed in slices so that a limit or the deadline stops the parse
//! between two of them instead of after the whole body.

use std::borrow::Cow;
use std::cell::Cell;

use html5ever::interface::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{Attribute, QualName};
use scraper::{Html, HtmlTreeSink};

use super::bounds::{Evaluation, Limit, MAX_HTML_DEPTH, MAX_HTML_ELEMENTS};

/// Bytes fed to the parser between two checks of the limits and the clock: small enough that
/// a slice past a limit costs little, large enough that checking costs nothing.
const SLICE: usize = 16 * 1024;

/// Parses `text` as a document, or says which bound it ran into.
pub(crate) fn parse(text: &str, ev: &Evaluation<'_>) -> Result<Html, Limit> {
    let sink = Bounded {
        inner: HtmlTreeSink::new(Html::new_document()),
        elements: Cell::new(0),
        exceeded: Cell::new(None),
    };
    let mut parser = html5ever::parse_document(sink, Default::default());
    let mut rest = text;
    while !rest.is_empty() {
        ev.in_time()?;
        let mut cut = rest.len().min(SLICE);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (slice, after) = rest.split_at(cut);
        parser.process(StrTendril::from_slice(slice));
        if let Some(limit) = parser.tokenizer.sink.sink.exceeded.take() {
            return Err(limit);
        }
        rest = after;
    }
    ev.in_time()?;
    let (html, exceeded) = parser.finish();
    exceeded.map_or(Ok(html), Err)
}

/// scraper's sink, counting elements and the depth each is put at.
struct Bounded {
    inner: HtmlTreeSink,
    elements: Cell<usize>,
    exceeded: Cell<Option<Limit>>,
}

impl Bounded {
    /// Notes a limit; the parse stops at the end of the slice being fed.
    fn exceed(&self, limit: Limit) {
        let first = self.exceeded.take().unwrap_or(limit);
        self.exceeded.set(Some(first));
    }

    /// Checks the depth a node lands at under `parent`, walking no further than the limit.
    fn placed_under(&self, parent: &<HtmlTreeSink as TreeSink>::Handle) {
        let html = self.inner.0.borrow();
        let depth = html
            .tree
            .get(*parent)
            .map_or(0, |p| p.ancestors().take(MAX_HTML_DEPTH + 1).count() + 1);
        if depth > MAX_HTML_DEPTH {
            drop(html);
            self.exceed(Limit::HtmlDepth);
        }
    }
}

impl TreeSink for Bounded {
    type Handle = <HtmlTreeSink as TreeSink>::Handle;
    type Output = (Html, Option<Limit>);
    type ElemName<'a> = <HtmlTreeSink as TreeSink>::ElemName<'a>;

    fn finish(self) -> Self::Output {
        (self.inner.finish(), self.exceeded.take())
    }

    /// A hostile body can make an error of every byte; nobody reads them.
    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> Self::Handle {
        self.inner.get_document()
    }

    fn elem_name<'a>(&'a self, target: &'a Self::Handle) -> Self::ElemName<'a> {
        self.inner.elem_name(target)
    }

    fn create_element(
        &self,
        name: QualName,
        attrs: Vec<Attribute>,
        flags: ElementFlags,
    ) -> Self::Handle {
        let n = self.elements.get() + 1;
        self.elements.set(n);
        if n > MAX_HTML_ELEMENTS {
            self.exceed(Limit::HtmlElements);
        }
        self.inner.create_element(name, attrs, flags)
    }

    fn create_comment(&self, text: StrTendril) -> Self::Handle {
        self.inner.create_comment(text)
    }

    fn create_pi(&self, target: StrTendril, data: StrTendril) -> Self::Handle {
        self.inner.create_pi(target, data)
    }

    fn append(&self, parent: &Self::Handle, child: NodeOrText<Self::Handle>) {
        if matches!(child, NodeOrText::AppendNode(_)) {
            self.placed_under(parent);
        }
        self.inner.append(parent, child)
    }

    fn append_based_on_parent_node(
        &self,
        element: &Self::Handle,
        prev_element: &Self::Handle,
        child: NodeOrText<Self::Handle>,
    ) {
        if matches!(child, NodeOrText::AppendNode(_)) {
            self.placed_under(prev_element);
        }
        self.inner
            .append_based_on_parent_node(element, prev_element, child)
    }

    fn append_doctype_to_document(
        &self,
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    ) {
        self.inner
            .append_doctype_to_document(name, public_id, system_id)
    }

    fn get_template_contents(&self, target: &Self::Handle) -> Self::Handle {
        self.inner.get_template_contents(target)
    }

    fn same_node(&self, x: &Self::Handle, y: &Self::Handle) -> bool {
        self.inner.same_node(x, y)
    }

    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.inner.set_quirks_mode(mode)
    }

    fn append_before_sibling(&self, sibling: &Self::Handle, new_node: NodeOrText<Self::Handle>) {
        if matches!(new_node, NodeOrText::AppendNode(_)) {
            self.placed_under(sibling);
        }
        self.inner.append_before_sibling(sibling, new_node)
    }

    fn add_attrs_if_missing(&self, target: &Self::Handle, attrs: Vec<Attribute>) {
        self.inner.add_attrs_if_missing(target, attrs)
    }

    fn remove_from_parent(&self, target: &Self::Handle) {
        self.inner.remove_from_parent(target)
    }

    fn reparent_children(&self, node: &Self::Handle, new_parent: &Self::Handle) {
        self.placed_under(new_parent);
        self.inner.reparent_children(node, new_parent)
    }
}
