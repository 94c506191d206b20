//! The HTTP kind: `get`, `post` or `rpc` to a service's socket (inside) or through the gateway
//! (outside), or a flow of such requests (`[[probe.step]]`). The kind a probe is when no other
//! kind's key is set. A `for_each = "service"` template is planned once per service found.

use super::{Kind, Reading};
use crate::panel::raw::RawProbe;
use crate::panel::{HttpSpec, Mode, PanelError};

impl Kind for HttpSpec {
    const KEY: Option<&'static str> = None;
    const NAME: &'static str = "http";

    fn claims(_p: &RawProbe) -> bool {
        true
    }

    fn stray(p: &RawProbe) -> Option<&'static str> {
        const KEYS: [&str; 14] = [
            "target",
            "get",
            "post",
            "rpc",
            "params",
            "json",
            "body",
            "headers",
            "context",
            "contexts",
            "distinct_from",
            "external_path",
            "for_each",
            "step",
        ];
        crate::panel::spec::first_set(p, &KEYS)
    }

    fn read(p: &mut RawProbe, r: &Reading<'_>) -> Result<(Self, Option<Mode>), PanelError> {
        // One request, or a flow of them: both make the probe's HTTP spec.
        let build = match p.step.is_empty() {
            true => crate::panel::spec::request_kind,
            false => crate::panel::flow::flow_kind,
        };
        let spec = build(p, r.max_body, r.for_each_service, r.at)?;
        Ok((spec, p.mode))
    }

    fn has_service(&self) -> bool {
        true
    }

    #[cfg(feature = "http")]
    fn plan(&self, spec: &crate::panel::ProbeSpec, plan: &mut super::Planning<'_>) {
        planning::plan(spec, plan)
    }
}

#[cfg(feature = "http")]
mod planning {
    use super::super::Planning;
    use crate::http::{Candidate, Connector, FlowProbe, HttpProbe};
    use crate::outcome::{Cause, Failure};
    use crate::panel::{HttpSpec, ProbeSpec};
    use crate::plan::Planned;
    use std::sync::Arc;

    /// Stands for the services of a `for_each` probe when they could not be listed.
    pub const UNLISTED: &str = "*";

    pub(super) fn plan(spec: &ProbeSpec, plan: &mut Planning<'_>) {
        let Some(connector) = plan.place.connector() else {
            let why = Planned::no_connector();
            if spec.selected_by(plan.only) {
                plan.push(unplaced(spec, why));
            }
            return;
        };
        let way_in = plan.way_in.clone();
        let through = |p: Planned| p.through(way_in.as_deref());
        if !spec.for_each_service {
            let planned = place(spec.clone(), &connector);
            plan.push(through(planned));
            return;
        }
        let only = plan.only;
        let planned: Vec<Planned> = match &plan.services {
            // A template with nothing to expand over is itself a failure: "health of every
            // service" must not pass because no service was seen.
            Err(e) if spec.selected_by(only) => vec![unplaced(
                spec,
                Failure {
                    detail: format!("no services to probe: {}", e.detail),
                    ..e.clone()
                },
            )],
            Ok(list)
                if list.is_empty()
                    && plan.supervisor_failed.is_none()
                    && spec.selected_by(only) =>
            {
                vec![unplaced(
                    spec,
                    Failure::new(Cause::Connect, "no services found to probe"),
                )]
            }
            Ok(list) => expand(
                spec,
                list,
                plan.supervisor_failed.as_ref(),
                &connector,
                only,
                &mut plan.out.unprobed,
            ),
            Err(_) => Vec::new(),
        };
        for p in planned {
            plan.push(through(p));
        }
    }

    /// A template once per service of `list` that `only` picks. The supervisor, when it could
    /// not list the services (`failed`), is one of them whether or not the socket folder shows
    /// it, and its own probe fails with why. A service the connector sees serving other sockets
    /// but not the template's is left out, said in `unprobed`.
    fn expand(
        spec: &ProbeSpec,
        list: &[String],
        failed: Option<&Failure>,
        connector: &Arc<dyn Connector>,
        only: &[String],
        unprobed: &mut Vec<String>,
    ) -> Vec<Planned> {
        let supervisor = crate::http::supervisor().service;
        let mut names: Vec<&String> = list.iter().collect();
        if failed.is_some() && !list.contains(&supervisor) {
            names.insert(names.partition_point(|n| **n < supervisor), &supervisor);
        }
        let mut planned = Vec::with_capacity(names.len());
        for p in names.into_iter().map(|s| spec.for_service(s)) {
            if !(spec.selected_by(only) || p.selected_by(only)) {
                continue;
            }
            let Some(target) = p.http().map(|h| h.target.clone()) else {
                planned.push(place(p, connector));
                continue;
            };
            if let Some(why) = failed.filter(|_| target.service == supervisor) {
                planned.push(nowhere(p, why.clone()));
            } else if let Some(why) = connector.unserved(&target) {
                unprobed.push(format!("{}: {why}: no {} probe", target.service, p.name));
            } else {
                planned.push(place(p, connector));
            }
        }
        planned
    }

    /// The probe with the side's way in (the public certificate) first among its dependencies:
    /// the furthest cause of the chain.
    fn place(spec: ProbeSpec, connector: &Arc<dyn Connector>) -> Planned {
        let Some(http) = spec.http() else {
            return unplaced(&spec, Failure::new(Cause::Checker, "not an HTTP probe"));
        };
        let what = describe(http);
        let definition = definition(http);
        let candidates = match candidates(http, connector.as_ref()) {
            Ok(c) => c,
            Err(why) => return nowhere(spec, why),
        };
        // Restarted by the service of the target there now: the one the probe will reach.
        let there = match candidates.len() {
            1 => &http.target,
            _ => candidates
                .iter()
                .position(|c| !connector.absent(&c.endpoint))
                .and_then(|i| i.checked_sub(1))
                .map_or(&http.target, |i| &http.alternatives[i]),
        };
        let service = Some(
            connector
                .supervised_as(there)
                .unwrap_or_else(|| there.service.clone()),
        );
        let mut place = candidates[0].endpoint.display.clone();
        if candidates.len() > 1 {
            let then: Vec<&str> = candidates[1..].iter().map(|c| c.label.as_str()).collect();
            place = format!("{place} (or {})", then.join(", then "));
        }
        let probe = match http.steps.is_empty() {
            false => Arc::new(FlowProbe::check(spec, place.clone(), connector.clone())),
            true => Arc::new(HttpProbe::check(
                spec,
                place.clone(),
                candidates,
                connector.clone(),
            )),
        };
        Planned {
            what,
            service,
            place,
            definition,
            probe,
            stand_in: false,
        }
    }

    /// The probe's target and where it goes from this side, then each of its alternatives.
    fn candidates(http: &HttpSpec, connector: &dyn Connector) -> Result<Vec<Candidate>, Failure> {
        let first = Candidate {
            label: http.target.to_string(),
            endpoint: connector.endpoint(http)?,
        };
        let mut all = vec![first];
        for target in &http.alternatives {
            let spec = HttpSpec {
                target: target.clone(),
                alternatives: Vec::new(),
                ..http.clone()
            };
            all.push(Candidate {
                label: target.to_string(),
                endpoint: connector.endpoint(&spec)?,
            });
        }
        Ok(all)
    }

    /// A probe that goes nowhere and fails with `why`.
    fn nowhere(spec: ProbeSpec, why: Failure) -> Planned {
        let what = spec.http().map(describe).unwrap_or_default();
        let definition = spec.http().map(definition).unwrap_or_default();
        Planned::nowhere(&spec, what, definition, why)
    }

    /// A probe that fails with `why`; a template's stands in for the services it would have
    /// been planned for.
    fn unplaced(spec: &ProbeSpec, why: Failure) -> Planned {
        let stand_in = spec.for_each_service;
        let spec = match stand_in {
            true => spec.for_service(UNLISTED),
            false => spec.clone(),
        };
        Planned {
            stand_in,
            ..nowhere(spec, why)
        }
    }

    /// What an HTTP probe asks beyond its request in a few words and its place, one fact a
    /// line: params or body, headers, context(s), external path, and each step with its own and
    /// its conditions and captures. Empty for a probe its few words say all of (`GET /health`).
    fn definition(http: &HttpSpec) -> String {
        use std::fmt::Write;
        let mut text = String::new();
        request_text(&mut text, http);
        if let Some(c) = &http.contexts {
            let _ = writeln!(text, "contexts\t{}", c.contexts.join(","));
            if let Some(reference) = &c.distinct_from {
                let _ = writeln!(text, "distinct_from\t{reference}");
            }
        }
        for (i, step) in http.steps.iter().enumerate() {
            let _ = writeln!(
                text,
                "step {i}\t{}\t{}",
                step.http.target,
                step.http.request.describe()
            );
            request_text(&mut text, &step.http);
            for c in &step.expect {
                let _ = writeln!(text, "expect\t{c}");
            }
            for c in &step.warn {
                let _ = writeln!(text, "warn\t{c}");
            }
            for (name, capture) in &step.captures {
                let _ = writeln!(text, "capture\t{name}\t{}", capture.text());
            }
            if step.finally {
                let _ = writeln!(text, "finally");
            }
        }
        text
    }

    /// The parts of one request its few words leave out.
    fn request_text(text: &mut String, http: &HttpSpec) {
        use crate::panel::{Body, Request};
        use std::fmt::Write;
        match &http.request {
            Request::Rpc { params, path, .. } => {
                if let Some(params) = params {
                    let _ = writeln!(text, "params\t{params}");
                }
                if let Some(path) = path {
                    let _ = writeln!(text, "post\t{path}");
                }
            }
            Request::Post { body, .. } => match body {
                Body::Json(json) => {
                    let _ = writeln!(text, "json\t{json}");
                }
                Body::Text(body) => {
                    let _ = writeln!(text, "body\t{body}");
                }
                Body::Empty => {}
            },
            Request::Get { .. } => {}
        }
        for (name, value) in &http.headers {
            let _ = writeln!(text, "header\t{name}\t{value}");
        }
        if let Some(context) = &http.context {
            let _ = writeln!(text, "context\t{context}");
        }
        if let Some(path) = &http.external_path {
            let _ = writeln!(text, "external_path\t{path}");
        }
    }

    /// A probe's request in a few words, or its steps': `GET /a, then GET /b/{photo}`.
    fn describe(http: &HttpSpec) -> String {
        if http.steps.is_empty() {
            return http.request.describe();
        }
        let steps: Vec<String> = http
            .steps
            .iter()
            .map(|s| s.http.request.describe())
            .collect();
        steps.join(", then ")
    }
}

#[cfg(feature = "http")]
pub use planning::UNLISTED;
