//! What a tick's reports say, read from outside: their fields are the engine's to set, so a
//! reader gets them through these and cannot change a verdict after the fact.

use super::*;

impl ProbeReport {
    /// What moved from the known-good baseline, a line each; empty when nothing did.
    pub fn drift(&self) -> &[String] {
        &self.drift
    }

    /// The probe's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the tick found.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// Why it failed, when it did.
    pub fn cause(&self) -> Option<Cause> {
        self.cause
    }

    /// The failure in one line, when it failed.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// Where in the exchange it failed, when known.
    pub fn phase(&self) -> Option<Phase> {
        self.phase
    }

    /// How long the probe took, every attempt included.
    pub fn duration_ms(&self) -> Duration {
        self.duration_ms
    }

    /// The phase timings of the last attempt.
    pub fn timings(&self) -> &Timings {
        &self.timings
    }

    /// The HTTP status of the last attempt, when one arrived.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// Its conditions as judged.
    pub fn conditions(&self) -> &[ConditionResult] {
        &self.conditions
    }

    /// The peer certificate; null where no TLS was spoken.
    pub fn cert(&self) -> Option<&CertInfo> {
        self.cert.as_ref()
    }

    /// The requests of a probe of several steps, in order; absent for a probe of one request.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The target that answered, of a probe that tries several in turn (`target = [..]`);
    /// `None` for a probe of one target, which goes where `list` says.
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// The failing dependency this failure is a symptom of (the highest failing ancestor): it
    /// opens no incident of its own. Null otherwise.
    pub fn caused_by(&self) -> Option<&str> {
        self.caused_by.as_deref()
    }

    /// Why it is quiet (a maintenance window, a mute): it ran, but told no one. Absent otherwise.
    pub fn muted(&self) -> Option<&str> {
        self.muted.as_deref()
    }

    /// False while it has not passed on this deployment since its definition last changed (the
    /// loop keeps that): its failure shows and counts, but opens no incident. Absent when true.
    pub fn proven(&self) -> bool {
        self.proven
    }

    /// Attempts made in this tick (1 + retries used).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The page as a failing browse probe last saw it, until the loop keeps it as a file.
    pub fn screenshot(&self) -> Option<&Screenshot> {
        self.screenshot.as_ref()
    }

    /// The screenshot, moved out of the report: the loop writes it once.
    pub fn take_screenshot(&mut self) -> Option<Screenshot> {
        self.screenshot.take()
    }

    /// Where the screenshot was kept (a path in the state folder), when it was.
    pub fn evidence(&self) -> Option<&str> {
        self.evidence.as_deref()
    }

    /// Names the file the screenshot was kept in: the JSON report, the results log and the
    /// incident's events carry it.
    pub fn set_evidence(&mut self, path: impl Into<String>) {
        self.evidence = Some(path.into());
    }
}

impl Step {
    /// The request in a few words, as `list` shows it: `GET /health`, `rpc files.list`.
    pub fn request(&self) -> &str {
        &self.request
    }

    /// Its HTTP status, when one arrived.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// How long each phase took.
    pub fn timings(&self) -> &Timings {
        &self.timings
    }

    /// Its conditions as judged.
    pub fn conditions(&self) -> &[ConditionResult] {
        &self.conditions
    }

    /// The values it captured for the steps after it, by name.
    pub fn captures(&self) -> &std::collections::BTreeMap<String, serde_json::Value> {
        &self.captures
    }
}

impl ConditionResult {
    /// The condition as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether it held.
    pub fn passed(&self) -> bool {
        self.passed
    }

    /// The actual value, cut to a readable length.
    pub fn got(&self) -> &str {
        &self.got
    }

    /// A soft (`warn`) condition: failing it degrades, never fails.
    pub fn soft(&self) -> bool {
        self.soft
    }
}

impl Verdict {
    /// What the attempt was judged to be.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// Why it failed, when it did.
    pub fn cause(&self) -> Option<Cause> {
        self.cause
    }

    /// Where in the exchange it failed, when known.
    pub fn phase(&self) -> Option<Phase> {
        self.phase
    }

    /// The failure in one line, when it failed.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The HTTP status, when one arrived.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// How long each phase took.
    pub fn timings(&self) -> &Timings {
        &self.timings
    }

    /// The peer certificate, when TLS was spoken.
    pub fn cert(&self) -> Option<&CertInfo> {
        self.cert.as_ref()
    }

    /// Its conditions as judged.
    pub fn conditions(&self) -> &[ConditionResult] {
        &self.conditions
    }

    /// The steps of a flow, in order; empty for a probe of one request.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The page as the browser showed it, when a browse probe did not pass.
    pub fn screenshot(&self) -> Option<&Screenshot> {
        self.screenshot.as_ref()
    }
}

impl RunReport {
    /// The panel's name.
    pub fn panel(&self) -> &str {
        &self.panel
    }

    /// The side that ran it: `internal` or `external`.
    pub fn mode(&self) -> &str {
        &self.mode
    }

    /// The vantage point that ran the tick (the panel's, or empty for an in-process `Runner`).
    pub fn vantage(&self) -> &str {
        &self.vantage
    }

    /// The loop period, for `smoke_panel_every_seconds`; a panel-less tick has none.
    pub fn every(&self) -> Option<Duration> {
        self.every
    }

    /// When the tick started.
    pub fn started_at(&self) -> jiff::Timestamp {
        self.started_at
    }

    /// How long the tick took.
    pub fn duration_ms(&self) -> Duration {
        self.duration_ms
    }

    /// The worst outcome of its probes.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// Each probe's report, in panel order.
    pub fn probes(&self) -> &[ProbeReport] {
        &self.probes
    }

    /// What the tick has to say beside its probes, once each: a service list the cap cut.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }
}

impl Step {
    /// The step that sent `request` and was judged `verdict`: what a probe of several requests
    /// (an `impl Probe` overriding `verdict`) puts in its verdict with [`Verdict::set_steps`].
    pub fn of(request: impl Into<String>, verdict: &Verdict) -> Step {
        Step {
            request: request.into(),
            status: verdict.status,
            timings: verdict.timings.clone(),
            conditions: verdict.conditions.clone(),
            captures: Default::default(),
            shape: verdict.shape.clone(),
        }
    }

    /// The step with the values it captured for the steps after it.
    pub fn with_captures(
        mut self,
        captures: std::collections::BTreeMap<String, serde_json::Value>,
    ) -> Step {
        self.captures = captures;
        self
    }
}

impl Verdict {
    /// The requests of a probe of several steps, in order: the report shows each.
    pub fn set_steps(&mut self, steps: Vec<Step>) {
        self.steps = steps;
    }
}

impl RunReport {
    /// The probes' reports, for what the loop says of them after the run ([`ProbeReport::mute`],
    /// [`ProbeReport::mark_unproven`]); what they were judged to be stays.
    pub fn probes_mut(&mut self) -> &mut [ProbeReport] {
        &mut self.probes
    }
}

impl ProbeReport {
    /// Quiets the report (a maintenance window, a mute): it ran and shows, but tells no one.
    /// `None` leaves it loud.
    pub fn mute(&mut self, reason: Option<String>) {
        self.muted = reason;
    }

    /// Marks the report unproven: its probe has not passed here since its definition last
    /// changed, so its failure shows and counts but opens no incident.
    pub fn mark_unproven(&mut self) {
        self.proven = false;
    }
}

/// Reports made by hand, for the tests of what reads them (feature `test-support`): otherwise
/// a report only comes out of a run, as it was judged.
#[cfg(any(test, feature = "test-support"))]
impl RunReport {
    /// A tick of `probes`, its outcome the worst of theirs, with no period, vantage or notes.
    pub fn made(
        panel: &str,
        mode: &str,
        started_at: jiff::Timestamp,
        probes: Vec<ProbeReport>,
    ) -> RunReport {
        RunReport::of(panel.to_string(), mode.to_string(), started_at, probes)
    }

    /// Sets when the tick started.
    pub fn set_started_at(&mut self, at: jiff::Timestamp) {
        self.started_at = at;
    }

    /// Sets the loop period.
    pub fn set_every(&mut self, every: Option<Duration>) {
        self.every = every;
    }

    /// Sets how long the tick took.
    pub fn set_duration(&mut self, took: Duration) {
        self.duration_ms = took;
    }

    /// Replaces the probes' reports.
    pub fn set_probes(&mut self, probes: Vec<ProbeReport>) {
        self.probes = probes;
    }
}

/// See the `RunReport` block above.
#[cfg(any(test, feature = "test-support"))]
impl ProbeReport {
    /// Sets what moved from the known-good baseline.
    pub fn set_drift(&mut self, drift: Vec<String>) {
        self.drift = drift;
    }

    /// Renames the probe.
    pub fn set_name(&mut self, name: impl Into<String>) {
        self.name = name.into();
    }

    /// Sets the outcome, leaving the cause and detail as they are.
    pub fn set_outcome(&mut self, outcome: Outcome) {
        self.outcome = outcome;
    }

    /// Sets the detail, leaving the outcome as it is.
    pub fn set_detail(&mut self, detail: Option<String>) {
        self.detail = detail;
    }

    /// Sets how long the probe took.
    pub fn set_duration(&mut self, took: Duration) {
        self.duration_ms = took;
    }

    /// Names the failing dependency this failure is a symptom of.
    pub fn set_caused_by(&mut self, ancestor: Option<String>) {
        self.caused_by = ancestor;
    }
}

/// See the `RunReport` block above.
#[cfg(any(test, feature = "test-support"))]
impl ConditionResult {
    /// A hard condition `text` that held or not, having seen `got`.
    pub fn made(text: impl Into<String>, passed: bool, got: impl Into<String>) -> ConditionResult {
        ConditionResult {
            text: text.into(),
            passed,
            got: got.into(),
            soft: false,
        }
    }
}
