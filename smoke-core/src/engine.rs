//! What the smoke binaries build on, beyond the [`prelude`](crate::prelude): the panel and its
//! loading, the sides a panel runs from, the reports, incidents, and the few helpers every
//! smoke crate shares. The modules behind it are the crate's own; this page is its face, in the
//! order data flows (panel -> probes -> outcomes -> incidents -> reports).

// The panel: what a panel file says, read and checked once.
/// Which sockets serve a supervised name by its suffix.
pub use crate::panel::{default_suffixes, serving};
pub use crate::panel::{
    defaults, is_service_name, limits, load, load_str, vantage, with_hint, Body, Contexts,
    Coverage, DnsSpec, Extension, External, HttpSpec, IgnoredFault, Internal, LoadOptions, Mode,
    Panel, PanelError, PanelText, ProbeDefaults, ProbeKind, ProbeSpec, RecordType, Remedy, Request,
    Restart, SocketDirFrom, StepSpec, Suffix, Target, TargetError, TcpSpec, TcpTarget, TlsSpec,
    MAX_STEPS, PUBLIC_DNS, PUBLIC_TLS, SERVICE_NAME_RULE, SERVICE_PLACEHOLDER,
};
pub use crate::probe::{Checks, ProbeInfo, Selector, Settings};

// The conditions a probe is judged by.
/// A compiled CSS selector, as an `html()` subject holds it.
pub use crate::condition::Selector as CssSelector;
pub use crate::condition::{
    cut_to, Ast, Capture, CertField, Condition, ConditionError, DnsField, Evaluation, Judgement,
    Limit, Op, PageField, Spans, Subject, Timing, MAX_HTML_DEPTH, MAX_HTML_ELEMENTS, MAX_NESTING,
    MAX_QUERY_NODES,
};

// A side: how a panel's probes reach their targets from where smoke runs.
pub use crate::plan::{Plan, Planned, SideError};
#[cfg(feature = "http")]
pub use crate::{
    kind::{Pin, Place},
    plan::{run_panel, run_planned, MakeSide, Side},
};

/// How a DNS probe reads an answer, for a side that resolves.
pub mod dns {
    pub use crate::kind::dns::{answer_failure, DnsAnswer};
}
pub use crate::kind::tcp::MAX_BANNER_BYTES;

/// What a browse probe opens, and the browser it starts.
pub mod browse {
    #[cfg(feature = "browser")]
    pub use crate::browser::locate;
    pub use crate::kind::browse::BrowseSpec;
}

/// How a TCP probe reaches a host, for a side that dials.
#[cfg(feature = "http")]
pub mod tcp {
    pub use crate::kind::tcp::{connect, dial_host, out_of_reach};
}

/// The HTTP engine a side drives: connections, JSON-RPC, the supervisor's and the gateway's
/// service lists.
#[cfg(feature = "http")]
pub mod http {
    pub use crate::http::{
        call_rpc, supervised_services, supervisor, Connection, Connector, Endpoint, FirstByName,
        Listed, ServiceList, Stream, UNLISTED,
    };
}

// What a probe observed and how it came out.
pub use crate::observation::{
    CertInfo, Counted, DnsInfo, JsonError, PageInfo, MAX_ENTRY, MAX_JSON_DEPTH, MAX_LISTED,
};
pub use crate::outcome::{cut_detail, ConditionResult, Phase, Step, Verdict, DETAIL_LIMIT};
pub use crate::runner::{Origin, DEFAULT_CONCURRENCY};

/// The shape of an answer and a known-good baseline of it (issue 24): what drifted, never what
/// the values were.
pub mod shape {
    pub use crate::shape::{
        Baseline, Drift, DriftKind, DriftMode, HtmlShape, JsonType, JsonTypes, KnownGood, Latency,
        LatencyHistory, MinMax, NotGood, PathStats, ProbeBaseline, Seen, Shape, SideBaseline,
        SortedMap, BASELINE_FORMAT, LATENCY_DRIFT, LATENCY_FLOOR, LATENCY_WINDOW, MAX_NAME_CHARS,
        MAX_PATH_BYTES, MAX_SHAPE_DEPTH, MAX_SHAPE_NODES, MAX_SHAPE_PATHS, SLOW_TICKS,
    };
}

/// A TLS certificate's dates, as reports and conditions say them.
pub mod cert {
    pub use crate::cert::{date, days_between, describe};
}

// Incidents: from a tick's outcomes to events.
pub use crate::incident::{
    advance, group_headline, incident_id, name_list, signature, Covers, Event, EventKind, Incident,
    Opening, PastIncident, Policy, ProbeState, Resolve, Seen, Signature, State, StateReadError,
    Transitions, GROUP_PREFIX, LOG_MAX, STATE_VERSION,
};

// Reports: a tick, rendered.
pub use crate::report::{
    junit, junit_suite, nagios, render, Format, JunitCase, JunitSuite, UnknownFormat,
};
#[cfg(feature = "prometheus")]
pub use crate::report::{prometheus, PROMETHEUS_CONTENT_TYPE};

// What every smoke crate shares: durations and sizes as written, and text that came from a
// service (hostile by assumption) made safe to print.
pub use crate::text::{
    code_span, escape_controls, fenced, inert, panic_message, say, Escaped, Markup,
};
pub use crate::units::{
    format_duration, format_latency, format_size, format_span, later, parse_duration,
    PanelDuration, UnitError, MAX_DURATION,
};

// A file an operator names, read as the panel is: regular, without waiting, bounded.
pub use crate::files::{read_text, Unreadable};

/// What tests need and nothing else does: the report fixture every format's tests render, and
/// judging an observation by hand. With the same feature, reports, plans and conditions can be
/// made by hand (`RunReport::made`, `Planned::made`, `ConditionResult::made`).
#[cfg(feature = "test-support")]
pub mod testing {
    pub use crate::probe::{judge, judge_off_runtime, JUDGE_IN_PLACE_BYTES};
    pub use crate::report::fixture;
}
