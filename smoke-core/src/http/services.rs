//! The services a `for_each = "service"` probe expands over, taken from a list (the socket
//! folder, hero_proc's `service.list`) no further than `[panel] max_services`: the first names by
//! name are kept and the rest only counted, so a list of any length costs the memory and the
//! probes of the cap, and which services are probed does not depend on the order of the list.

use crate::outcome::Failure;
use std::collections::BTreeSet;
use std::sync::Mutex;

/// What a side found to expand over.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceList {
    /// Sorted, each once.
    pub names: Vec<String>,
    /// One line for each list the cap cut: which list, by which limit, how many names it left
    /// out. The tick says each once, on stderr and in its report.
    pub cuts: Vec<String>,
    /// Why the supervisor could not say which services run, when the side asked it and the
    /// names came from elsewhere (the socket folder): the supervisor's own probe of each
    /// `for_each` template fails with it, so a list it could not give is never taken for an
    /// empty one.
    pub supervisor_failed: Option<Failure>,
    /// Names listed that are no service of their own, each with why (served by another
    /// folder's socket): no probe, `list` says them.
    pub unprobed: Vec<String>,
}

/// The names alone, for a caller that bounds them itself (`init` asks at most 100).
impl IntoIterator for ServiceList {
    type Item = String;
    type IntoIter = std::vec::IntoIter<String>;

    fn into_iter(self) -> Self::IntoIter {
        self.names.into_iter()
    }
}

/// The first `cap` names by name of one list, read a name at a time.
#[derive(Debug)]
pub struct FirstByName {
    kept: BTreeSet<String>,
    cap: usize,
    left_out: usize,
}

impl FirstByName {
    /// Keeps at most `cap` names.
    pub fn new(cap: usize) -> Self {
        FirstByName {
            kept: BTreeSet::new(),
            cap,
            left_out: 0,
        }
    }

    /// Whether `name` would be kept now: there is room, or it comes before the last one kept.
    fn wants(&self, name: &str) -> bool {
        self.kept.len() < self.cap || self.kept.last().is_some_and(|last| name < last.as_str())
    }

    /// Takes `name`, putting out the last one kept when it is past the cap; a name it already
    /// holds is not counted twice.
    pub fn offer(&mut self, name: &str) {
        if !self.wants(name) {
            self.left_out += 1;
            return;
        }
        if self.kept.insert(name.to_string()) && self.kept.len() > self.cap {
            self.kept.pop_last();
            self.left_out += 1;
        }
    }

    /// Whether `name` is kept.
    pub fn contains(&self, name: &str) -> bool {
        self.kept.contains(name)
    }

    /// How many names are kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// Whether no name is kept.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// The names listed but not kept (a name listed again past the cap counts again).
    pub fn left_out(&self) -> usize {
        self.left_out
    }

    /// What the cap `max_services` cut of `list`, if anything.
    pub fn cut(&self, list: &str, max_services: usize) -> Option<String> {
        (self.left_out > 0).then(|| {
            format!(
                "{list}: {} names left out, past [panel] max_services = {max_services} (the first by name are probed)",
                self.left_out
            )
        })
    }

    /// The names kept, sorted.
    pub fn into_names(self) -> impl Iterator<Item = String> {
        self.kept.into_iter()
    }
}

/// How many skipped names a process remembers having said; past it, it forgets them all and may
/// say one again: a supervisor inventing names each tick costs a line each, not memory.
const SKIPPED_REMEMBERED: usize = 1024;

/// The names that are service names ([`crate::panel::is_service_name`]); each other one is said
/// once on stderr, escaped, and never probed, restarted or put in a URL.
pub(crate) fn service_names(found: Vec<String>) -> Vec<String> {
    static SAID: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    found
        .into_iter()
        .filter(|name| {
            if crate::panel::is_service_name(name) {
                return true;
            }
            // Cut before it is kept or said: a supervisor's name can be megabytes.
            let name = crate::condition::cut_to(name, crate::panel::limits::MAX_NAME_CHARS + 1);
            let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
            if said.len() >= SKIPPED_REMEMBERED {
                said.clear();
            }
            if said.insert(name.clone()) {
                crate::say!(
                    "`{name}` skipped: not a service name ({})",
                    crate::panel::SERVICE_NAME_RULE
                );
            }
            false
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_by_name_are_kept_whatever_the_order_and_the_rest_counted() {
        let names: Vec<String> = (0..1000).rev().map(|i| format!("s{i:04}")).collect();
        for order in [names.clone(), names.iter().rev().cloned().collect()] {
            let mut first = FirstByName::new(3);
            for name in &order {
                first.offer(name);
            }
            // A name already kept is no second name.
            first.offer("s0000");
            assert_eq!(first.left_out(), 997);
            assert!(first.contains("s0002") && !first.contains("s0003"));
            assert!(!first.wants("s0003") && first.wants("r"));
            let cut = first.cut("the list", 3).unwrap();
            assert_eq!(
                cut,
                "the list: 997 names left out, past [panel] max_services = 3 (the first by name are probed)"
            );
            let kept: Vec<String> = first.into_names().collect();
            assert_eq!(kept, ["s0000", "s0001", "s0002"]);
        }
    }

    #[test]
    fn under_the_cap_nothing_is_cut_and_a_cap_of_none_takes_nothing() {
        let mut room = FirstByName::new(5);
        room.offer("b");
        room.offer("a");
        assert_eq!(room.cut("the list", 5), None);
        assert_eq!(room.into_names().collect::<Vec<_>>(), ["a", "b"]);
        let mut none = FirstByName::new(0);
        none.offer("a");
        assert!(none.is_empty());
        assert_eq!(none.left_out(), 1);
    }
}
