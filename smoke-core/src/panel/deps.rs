//! `depends_on`: the probes whose failure may explain a probe's own. Checked once every probe
//! is known: each name is a probe of the panel (in either mode), an expansion of a `for_each`
//! probe, or a built-in check of the outside view, and no probe waits on itself through others.

use super::load::Locator;
use super::*;
use std::collections::HashMap;
use std::ops::Range;
use toml::Spanned;

/// A probe's own `depends_on`, as read, and where its table starts.
pub(super) struct Declared {
    pub(crate) header: Range<usize>,
    pub(crate) own: Vec<Spanned<String>>,
}

struct Edge {
    /// `{service}` filled in, except in a `for_each` probe.
    name: String,
    span: Range<usize>,
    from_defaults: bool,
}

/// What a dependency name stands for.
#[derive(Clone, Copy, PartialEq)]
enum Node {
    Probe(usize),
    /// `public-dns` or `public-tls`, which depend on nothing in the panel.
    Builtin,
}

/// Sets each probe's `depends_on` from `[defaults]` and its own list, or says what is wrong.
pub(super) fn resolve(
    probes: &mut [ProbeSpec],
    defaults: &[Spanned<String>],
    declared: Vec<Declared>,
    at: &Locator<'_>,
) -> Result<(), PanelError> {
    let known = Known::of(probes);
    let mut edges: Vec<Vec<Edge>> = Vec::with_capacity(probes.len());
    for (probe, decl) in probes.iter().zip(&declared) {
        let err = |span: Range<usize>, from_defaults: bool, message: String| {
            let message = if from_defaults {
                format!("[defaults] {message} (for probe \"{}\")", probe.name)
            } else {
                message
            };
            PanelError {
                probe: Some(probe.name.clone()),
                ..at.error(span, message)
            }
        };
        let service = probe.http().map(|h| h.target.service.as_str());
        let given = defaults
            .iter()
            .map(|d| (d, true))
            .chain(decl.own.iter().map(|d| (d, false)));
        let mut list: Vec<Edge> = Vec::new();
        for (dep, from_defaults) in given {
            let written = dep.get_ref();
            let name = match service {
                _ if probe.for_each_service => written.clone(),
                Some(service) => written.replace(SERVICE_PLACEHOLDER, service),
                None if !written.contains(SERVICE_PLACEHOLDER) => written.clone(),
                // A dns or tls probe belongs to no service: the panel-wide line is not for it.
                None if from_defaults => continue,
                None => {
                    return Err(err(
                        dep.span(),
                        false,
                        format!("depends_on \"{written}\": {SERVICE_PLACEHOLDER} is the probe's own service, and a dns or tls probe has none"),
                    ))
                }
            };
            if name == probe.name {
                if from_defaults {
                    continue;
                }
                return Err(err(
                    dep.span(),
                    false,
                    format!("depends_on \"{written}\": a probe cannot depend on itself"),
                ));
            }
            if known.node(&name).is_none() {
                return Err(err(
                    dep.span(),
                    from_defaults,
                    unknown(probes, written, &name),
                ));
            }
            if !list.iter().any(|e| e.name == name) {
                list.push(Edge {
                    name,
                    span: dep.span(),
                    from_defaults,
                });
            }
        }
        edges.push(list);
    }
    if let Some(cycle) = find_cycle(&known, &edges) {
        let first = cycle[0];
        let next = cycle[1 % cycle.len()];
        let edge = edges[first]
            .iter()
            .find(|e| known.node(&e.name) == Some(Node::Probe(next)));
        // At the value when the probe wrote it; a `[defaults]` line is every probe's, so the
        // probe's own header says which one is in the cycle.
        let span = match edge {
            Some(e) if !e.from_defaults => e.span.clone(),
            _ => declared[first].header.clone(),
        };
        return Err(PanelError {
            probe: Some(probes[first].name.clone()),
            ..at.error(
                span,
                format!(
                    "depends_on makes a cycle: {}; a probe cannot wait on itself, drop one of these",
                    show_cycle(probes, &cycle)
                ),
            )
        });
    }
    for (probe, list) in probes.iter_mut().zip(edges) {
        probe.settings.depends_on = list.into_iter().map(|e| e.name).collect();
    }
    Ok(())
}

/// The names a dependency may be, looked up without a pass over every probe: a hostile
/// panel of thousands of probes must still load in moments.
struct Known<'a> {
    exact: HashMap<&'a str, usize>,
    /// Each `for_each` probe's name around `{service}`, by the part before it.
    templates: HashMap<&'a str, Vec<(&'a str, usize)>>,
}

impl<'a> Known<'a> {
    fn of(probes: &'a [ProbeSpec]) -> Self {
        let mut exact = HashMap::with_capacity(probes.len());
        let mut templates: HashMap<&str, Vec<(&str, usize)>> = HashMap::new();
        for (i, p) in probes.iter().enumerate() {
            exact.insert(p.name.as_str(), i);
            if let Some((pre, post)) = p
                .for_each_service
                .then(|| p.name.split_once(SERVICE_PLACEHOLDER))
                .flatten()
            {
                templates.entry(pre).or_default().push((post, i));
            }
        }
        Known { exact, templates }
    }

    /// The probe `name` stands for: its exact name, or one a `for_each` probe expands to.
    fn node(&self, name: &str) -> Option<Node> {
        if let Some(&i) = self.exact.get(name) {
            return Some(Node::Probe(i));
        }
        // Longer than any probe name: nothing to look for (and no quadratic search).
        if name.chars().count() <= 2 * limits::MAX_NAME_CHARS {
            let cuts = name.char_indices().map(|(k, _)| k).chain([name.len()]);
            for k in cuts {
                let (pre, rest) = name.split_at(k);
                for (post, i) in self.templates.get(pre).into_iter().flatten() {
                    if rest.strip_suffix(post).is_some_and(is_service_name) {
                        return Some(Node::Probe(*i));
                    }
                }
            }
        }
        (name == PUBLIC_DNS || name == PUBLIC_TLS).then_some(Node::Builtin)
    }
}

/// "names no probe", with the closest name when one is close.
fn unknown(probes: &[ProbeSpec], written: &str, name: &str) -> String {
    let shown = if written == name {
        format!("depends_on \"{written}\"")
    } else {
        format!("depends_on \"{written}\" (here \"{name}\")")
    };
    let best = probes
        .iter()
        .map(|p| p.name.as_str())
        .chain([PUBLIC_DNS, PUBLIC_TLS])
        .map(|k| {
            let score = strsim::jaro_winkler(written, k).max(strsim::jaro_winkler(name, k));
            (score, k)
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, k)) => format!("{shown} names no probe of the panel; did you mean \"{k}\"?"),
        None => format!(
            "{shown} names no probe of the panel (in either mode) nor an expansion of a for_each probe"
        ),
    }
}

/// A cycle of probes, in order, if there is one. Iterative: a panel of thousands of probes in
/// one chain must not exhaust the stack.
fn find_cycle(known: &Known<'_>, edges: &[Vec<Edge>]) -> Option<Vec<usize>> {
    // The expansions of a `for_each` probe are one node here; its edge to its own other
    // expansions is not a cycle (the one to itself is dropped per service).
    let targets: Vec<Vec<usize>> = edges
        .iter()
        .enumerate()
        .map(|(i, list)| {
            list.iter()
                .filter_map(|e| match known.node(&e.name) {
                    Some(Node::Probe(j)) if j != i => Some(j),
                    _ => None,
                })
                .collect()
        })
        .collect();
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        OnPath,
        Done,
    }
    let mut state = vec![State::New; targets.len()];
    for start in 0..targets.len() {
        if state[start] != State::New {
            continue;
        }
        state[start] = State::OnPath;
        let mut path = vec![(start, 0usize)];
        while let Some((v, next)) = path.last_mut() {
            let v = *v;
            let Some(&w) = targets[v].get(*next) else {
                state[v] = State::Done;
                path.pop();
                continue;
            };
            *next += 1;
            match state[w] {
                State::New => {
                    state[w] = State::OnPath;
                    path.push((w, 0));
                }
                State::OnPath => {
                    let from = path.iter().position(|(x, _)| *x == w).unwrap_or(0);
                    return Some(path[from..].iter().map(|(x, _)| *x).collect());
                }
                State::Done => {}
            }
        }
    }
    None
}

/// `a -> b -> a`; a long one cut, so the error stays one line.
fn show_cycle(probes: &[ProbeSpec], cycle: &[usize]) -> String {
    const SHOWN: usize = 8;
    let mut names: Vec<String> = cycle
        .iter()
        .take(SHOWN)
        .map(|&i| probes[i].name.clone())
        .collect();
    if cycle.len() > SHOWN {
        names.push(format!("… ({} probes in all)", cycle.len()));
    }
    names.push(probes[cycle[0]].name.clone());
    names.join(" -> ")
}
