//! What a run returns: an [`Outcome`] per probe, and for a failure its [`Cause`], [`Phase`] and
//! the words that say what to do next.

use crate::observation::{CertInfo, Timings};
use std::fmt;
use std::time::Duration;

mod readers;
mod screenshot;

pub use screenshot::{Screenshot, MAX_SCREENSHOT};

/// How one probe ended. Ordered from best to worst so the worst of a tick is a `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every condition held.
    Ok,
    /// It works, but not well: a `warn` condition failed, or a certificate nears its end.
    Degraded,
    /// It does not work.
    Fail,
    /// The checker's own fault, not the service's.
    Error,
}

impl Outcome {
    /// The name in reports and metrics: `ok`, `degraded`, `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Degraded => "degraded",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
        }
    }

    /// The exit status a run with this outcome ends with.
    pub fn exit(self) -> Exit {
        match self {
            Outcome::Ok => Exit::Ok,
            Outcome::Degraded => Exit::Degraded,
            Outcome::Fail => Exit::Failed,
            Outcome::Error => Exit::Broken,
        }
    }
}

/// A run's exit status, by the monitoring-plugins convention that cron, systemd and Nagios-style
/// checkers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// 0: every probe passed.
    Ok,
    /// 1: some probe is degraded, none failed.
    Degraded,
    /// 2: some probe failed.
    Failed,
    /// 3: the panel or smoke itself is broken: nothing can be said of the service.
    Broken,
}

impl Exit {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Degraded => 1,
            Exit::Failed => 2,
            Exit::Broken => 3,
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a probe failed: the class an operator routes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cause {
    /// The host name did not resolve.
    Dns,
    /// No connection could be opened.
    Connect,
    /// The TLS handshake or the certificate failed.
    Tls,
    /// A deadline passed.
    Timeout,
    /// The peer did not speak the protocol (a malformed answer).
    Protocol,
    /// An HTTP status that is a failure.
    Http,
    /// A JSON-RPC error answer.
    Rpc,
    /// A condition failed.
    Assertion,
    /// An in-process check found its own service broken (its storage unreachable, say): the
    /// service's fault, so the probe fails (exit 2), unlike `checker`.
    Service,
    /// The answer passed its conditions but moved from the panel's known-good baseline: a
    /// field gone, a list shrunk, an element gone, a call slower.
    Drift,
    /// The checker itself could not do its work (outcome `error`).
    Checker,
}

impl Cause {
    /// The name in reports, events and metrics: `dns`, `assertion`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Dns => "dns",
            Cause::Connect => "connect",
            Cause::Tls => "tls",
            Cause::Timeout => "timeout",
            Cause::Protocol => "protocol",
            Cause::Http => "http",
            Cause::Rpc => "rpc",
            Cause::Assertion => "assertion",
            Cause::Service => "service",
            Cause::Drift => "drift",
            Cause::Checker => "checker",
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where in the exchange a failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Resolving the host name.
    Dns,
    /// Opening the connection.
    Connect,
    /// The TLS handshake.
    Tls,
    /// Waiting for the response head: "accepts but doesn't respond".
    Headers,
    /// Reading the body.
    Body,
    /// Waiting for a `tcp` probe's peer to say its first line.
    Banner,
}

impl Phase {
    /// The name in reports and events: `dns`, `first_byte`, ...
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Phase::Dns => "dns",
            Phase::Connect => "connect",
            Phase::Tls => "tls",
            Phase::Headers => "headers",
            Phase::Body => "body",
            Phase::Banner => "banner",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure with its cause in words: `detail` is one line an operator can act on.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// Why it failed.
    pub cause: Cause,
    /// Where in the exchange, when known.
    pub(crate) phase: Option<Phase>,
    /// One line an operator can act on.
    pub detail: String,
    /// The status line, when one arrived before the failure (a 500, a 302, a cut body).
    pub(crate) status: Option<u16>,
    /// The phases timed before the failure.
    pub(crate) timings: Timings,
}

impl Failure {
    /// A failure without a phase.
    pub fn new(cause: Cause, detail: impl Into<String>) -> Self {
        Failure {
            cause,
            phase: None,
            detail: detail.into(),
            status: None,
            timings: Timings::default(),
        }
    }

    /// A failure in `phase`.
    pub fn at(cause: Cause, phase: Phase, detail: impl Into<String>) -> Self {
        Failure {
            phase: Some(phase),
            ..Failure::new(cause, detail)
        }
    }

    /// The failure with what was observed before it, so its record keeps the status and
    /// timings that did arrive.
    pub(crate) fn seen(self, status: Option<u16>, timings: &Timings) -> Self {
        Failure {
            status,
            timings: timings.clone(),
            ..self
        }
    }

    /// A deadline passed in `phase`.
    pub fn timeout(phase: Phase, limit: Duration) -> Self {
        let limit = crate::units::format_duration(limit);
        let detail = match phase {
            Phase::Dns => format!("no DNS answer within {limit}"),
            Phase::Connect => format!("no connection within {limit}"),
            Phase::Tls => format!("no TLS handshake within {limit}"),
            Phase::Headers => format!("no answer within {limit} after connect"),
            Phase::Body => format!("body not complete within {limit}"),
            Phase::Banner => format!("no first line within {limit} after connect"),
        };
        Failure::at(Cause::Timeout, phase, detail)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

/// One condition as it was judged.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConditionResult {
    /// The condition as written.
    pub(crate) text: String,
    /// Whether it held.
    pub(crate) passed: bool,
    /// The actual value, cut to a readable length.
    pub(crate) got: String,
    /// A soft (`warn`) condition: failing it degrades, never fails.
    #[serde(skip)]
    pub(crate) soft: bool,
}

/// How loud a failure of this probe is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The default: the failure needs someone now.
    #[default]
    Critical,
    /// The failure can wait: alerts say `warning`.
    Warning,
}

/// The most chars a failure's detail keeps in a report. A service's error message can be
/// megabytes, and the detail is kept in the state, the history, the results log and every sink.
pub const DETAIL_LIMIT: usize = 1024;

/// `detail` cut to [`DETAIL_LIMIT`] chars, its last one `…` when cut: how a tick keeps a
/// detail, and how one read back from a file that anything may have written is shown.
pub fn cut_detail(detail: &str) -> String {
    crate::condition::cut_to(detail, DETAIL_LIMIT)
}

/// Everything a probe reports for one tick.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProbeReport {
    /// The probe's name.
    pub(crate) name: String,
    /// What the tick found.
    pub(crate) outcome: Outcome,
    /// Why it failed, when it did.
    pub(crate) cause: Option<Cause>,
    /// The failure in one line, when it failed.
    pub(crate) detail: Option<String>,
    /// Where in the exchange it failed, when known.
    pub(crate) phase: Option<Phase>,
    /// How long the probe took, every attempt included.
    #[serde(serialize_with = "ser_ms")]
    pub(crate) duration_ms: Duration,
    /// The phase timings of the last attempt.
    pub(crate) timings: Timings,
    /// The HTTP status of the last attempt, when one arrived.
    pub(crate) status: Option<u16>,
    /// Its conditions as judged.
    pub(crate) conditions: Vec<ConditionResult>,
    /// The peer certificate; null where no TLS was spoken.
    pub(crate) cert: Option<CertInfo>,
    /// The requests of a probe of several steps, in order; absent for a probe of one request.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) steps: Vec<Step>,
    /// The target that answered, of a probe that tries several in turn (`target = [..]`);
    /// absent for a probe of one target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) target: Option<String>,
    /// The failing dependency this failure is a symptom of (the highest failing ancestor): it
    /// opens no incident of its own. Null otherwise.
    pub(crate) caused_by: Option<String>,
    /// Why it is quiet (a maintenance window, a mute): it ran, but told no one. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) muted: Option<String>,
    /// False while it has not passed on this deployment since its definition last changed (the
    /// loop keeps that): its failure shows and counts, but opens no incident. Absent when true.
    #[serde(skip_serializing_if = "is_true")]
    pub(crate) proven: bool,
    /// Attempts made in this tick (1 + retries used).
    #[serde(skip)]
    pub(crate) attempts: u32,
    /// The page as a failing browse probe last saw it; the loop keeps it as a file.
    #[serde(skip)]
    pub(crate) screenshot: Option<Screenshot>,
    /// Where the loop kept the screenshot (a path in the state folder). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) evidence: Option<String>,
    /// The shape of its answer, when its check records shapes (a baseline, drift); a probe of
    /// several steps keeps one per step instead.
    #[serde(skip)]
    pub(crate) shape: Option<Box<crate::shape::Shape>>,
    /// What moved from the known-good baseline, a line each. Absent when nothing did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) drift: Vec<String>,
}

fn is_true(b: &bool) -> bool {
    *b
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

impl ProbeReport {
    /// A report with nothing observed yet; the probe fills what it saw.
    pub fn new(name: impl Into<String>) -> Self {
        ProbeReport {
            name: name.into(),
            outcome: Outcome::Ok,
            cause: None,
            detail: None,
            phase: None,
            duration_ms: Duration::ZERO,
            timings: Timings::default(),
            status: None,
            conditions: Vec::new(),
            cert: None,
            steps: Vec::new(),
            target: None,
            caused_by: None,
            muted: None,
            proven: true,
            attempts: 1,
            screenshot: None,
            evidence: None,
            shape: None,
            drift: Vec::new(),
        }
    }

    /// Marks the report failed (or `error` for the checker's own fault) with this failure.
    pub fn fail(&mut self, failure: Failure) {
        let mut verdict = self.take_verdict();
        verdict.fail(failure);
        self.set_verdict(verdict);
    }

    /// Degrades a passing report with `cause` and `detail`; a worse outcome stays.
    pub fn degrade(&mut self, cause: Cause, detail: impl Into<String>) {
        let mut verdict = self.take_verdict();
        verdict.degrade(cause, detail);
        self.set_verdict(verdict);
    }

    /// What the report says of the attempt it ends with, moved out of it.
    fn take_verdict(&mut self) -> Verdict {
        Verdict {
            outcome: self.outcome,
            cause: self.cause.take(),
            phase: self.phase.take(),
            detail: self.detail.take(),
            status: self.status.take(),
            timings: std::mem::take(&mut self.timings),
            cert: self.cert.take(),
            conditions: std::mem::take(&mut self.conditions),
            steps: std::mem::take(&mut self.steps),
            target: self.target.take(),
            screenshot: self.screenshot.take(),
            shape: self.shape.take(),
        }
    }

    /// Takes what an attempt was judged to be; the runner adds the rest.
    pub(crate) fn set_verdict(&mut self, v: Verdict) {
        self.outcome = v.outcome;
        self.cause = v.cause;
        self.phase = v.phase;
        self.detail = v.detail;
        self.status = v.status;
        self.timings = v.timings;
        self.cert = v.cert;
        self.conditions = v.conditions;
        self.steps = v.steps;
        self.target = v.target;
        self.screenshot = v.screenshot;
        self.shape = v.shape;
    }

    /// The failure this report carries, if any.
    pub fn failure(&self) -> Option<Failure> {
        self.cause.map(|cause| Failure {
            cause,
            phase: self.phase,
            detail: self.detail.clone().unwrap_or_default(),
            status: self.status,
            timings: self.timings.clone(),
        })
    }
}

/// One request of a probe of several steps, as it went.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Step {
    /// The request in a few words, as `list` shows it: `GET /health`, `rpc files.list`.
    pub(crate) request: String,
    /// Its HTTP status, when one arrived.
    pub(crate) status: Option<u16>,
    /// How long each phase took.
    pub(crate) timings: Timings,
    /// Its conditions as judged.
    pub(crate) conditions: Vec<ConditionResult>,
    /// The values it captured for the steps after it, by name.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub(crate) captures: std::collections::BTreeMap<String, serde_json::Value>,
    /// The shape of its answer, when the check records shapes.
    #[serde(skip)]
    pub(crate) shape: Option<Box<crate::shape::Shape>>,
}

/// What one attempt was judged to be: its outcome and what that rests on. The runner adds the
/// probe's name, the attempts made and the time they took, and makes it a [`ProbeReport`].
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// What the attempt was judged to be.
    pub(crate) outcome: Outcome,
    /// Why it failed, when it did.
    pub(crate) cause: Option<Cause>,
    /// Where in the exchange it failed, when known.
    pub(crate) phase: Option<Phase>,
    /// The failure in one line, when it failed.
    pub(crate) detail: Option<String>,
    /// The HTTP status, when one arrived.
    pub(crate) status: Option<u16>,
    /// How long each phase took.
    pub(crate) timings: Timings,
    /// The peer certificate, when TLS was spoken.
    pub(crate) cert: Option<CertInfo>,
    /// Its conditions as judged.
    pub(crate) conditions: Vec<ConditionResult>,
    /// The steps of a flow, in order; empty for a probe of one request.
    pub(crate) steps: Vec<Step>,
    /// The target that answered, when the probe tried several in turn.
    pub(crate) target: Option<String>,
    /// The page as the browser showed it, when a browse probe did not pass.
    pub(crate) screenshot: Option<Screenshot>,
    /// The shape of the answer judged, when the check records shapes.
    pub(crate) shape: Option<Box<crate::shape::Shape>>,
}

impl Default for Verdict {
    fn default() -> Self {
        Verdict {
            outcome: Outcome::Ok,
            cause: None,
            phase: None,
            detail: None,
            status: None,
            timings: Timings::default(),
            cert: None,
            conditions: Vec::new(),
            steps: Vec::new(),
            target: None,
            screenshot: None,
            shape: None,
        }
    }
}

impl Verdict {
    /// An attempt that failed before anything could be judged.
    pub(crate) fn failed(failure: Failure) -> Self {
        let mut v = Verdict::default();
        v.fail(failure);
        v
    }

    /// Fails the attempt (`error` for the checker's own fault), keeping what was observed.
    pub(crate) fn fail(&mut self, failure: Failure) {
        self.outcome = if failure.cause == Cause::Checker {
            Outcome::Error
        } else {
            Outcome::Fail
        };
        self.cause = Some(failure.cause);
        self.phase = failure.phase;
        self.detail = Some(cut_detail(&failure.detail));
        // What was observed stays: a failure that saw nothing does not erase what judging saw.
        if failure.status.is_some() {
            self.status = failure.status;
        }
        if failure.timings != Timings::default() {
            self.timings = failure.timings;
        }
    }

    /// Degrades a passing attempt; a worse outcome stays as it is.
    pub(crate) fn degrade(&mut self, cause: Cause, detail: impl Into<String>) {
        if self.outcome == Outcome::Ok {
            self.outcome = Outcome::Degraded;
            self.cause = Some(cause);
            self.detail = Some(cut_detail(&detail.into()));
        }
    }
}

/// A whole tick.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunReport {
    /// The panel's name.
    pub(crate) panel: String,
    /// The side that ran it: `internal` or `external`.
    pub(crate) mode: String,
    /// The vantage point that ran the tick (the panel's, or empty for an in-process `Runner`).
    pub(crate) vantage: String,
    /// The loop period, for `smoke_panel_every_seconds`; a panel-less tick has none.
    #[serde(skip)]
    pub(crate) every: Option<Duration>,
    /// When the tick started.
    pub(crate) started_at: jiff::Timestamp,
    /// How long the tick took.
    #[serde(serialize_with = "ser_ms")]
    pub(crate) duration_ms: Duration,
    /// The worst outcome of its probes.
    pub(crate) outcome: Outcome,
    /// Each probe's report, in panel order.
    pub(crate) probes: Vec<ProbeReport>,
    /// What the tick has to say beside its probes, once each: a service list the cap cut.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) notes: Vec<String>,
}

impl RunReport {
    /// A tick of `probes` that started at `started_at`, its outcome the worst of theirs; the
    /// caller adds how long it took and the rest it knows.
    pub(crate) fn of(
        panel: String,
        mode: String,
        started_at: jiff::Timestamp,
        probes: Vec<ProbeReport>,
    ) -> RunReport {
        let mut report = RunReport {
            panel,
            mode,
            vantage: String::new(),
            every: None,
            started_at,
            duration_ms: Duration::ZERO,
            outcome: Outcome::Ok,
            probes,
            notes: Vec::new(),
        };
        report.settle();
        report
    }

    /// Its outcome made the worst of its probes' again, after a probe's was changed.
    pub(crate) fn settle(&mut self) {
        self.outcome = self
            .probes
            .iter()
            .map(|p| p.outcome)
            .max()
            .unwrap_or(Outcome::Ok);
    }

    /// How many probes ended with `outcome`.
    pub(crate) fn count(&self, outcome: Outcome) -> usize {
        self.probes.iter().filter(|p| p.outcome == outcome).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_megabyte_error_message_is_cut_to_the_detail_limit_and_says_so() {
        let mut r = ProbeReport::new("biz");
        r.fail(Failure::new(Cause::Rpc, "é".repeat(1 << 20)));
        let detail = r.detail.unwrap();
        assert_eq!(detail.chars().count(), DETAIL_LIMIT);
        assert!(detail.ends_with('…'));
        let mut short = ProbeReport::new("biz");
        short.fail(Failure::new(Cause::Rpc, "JSON-RPC error -32000: boom"));
        assert_eq!(short.detail.as_deref(), Some("JSON-RPC error -32000: boom"));
    }
}
