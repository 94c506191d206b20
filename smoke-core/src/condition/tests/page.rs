//! What a browse probe's page subjects read: the rendered DOM (`element`, `text`), and what
//! the browser saw go wrong, counted and named.

use super::*;
use crate::observation::{Counted, PageInfo};

fn page() -> Observation {
    let mut obs = http(
        "<html><body><nav><a>Contexts</a><a>Photos</a></nav>\
         <p id=\"hero-dashboard\"> 5 <b>persons</b> </p></body></html>",
    );
    let mut broken = Counted::default();
    broken.note("/hero_foundry/rpc/api/file/root/Photos/a.jpg".into());
    broken.note("/b.jpg\u{1b}[2J".into());
    obs.page = Some(Box::new(PageInfo {
        images_broken: broken,
        console_errors: Counted::default(),
        requests_failed: Counted {
            count: 25,
            shown: vec!["/x 403".into()],
        },
        load: Some(Duration::from_millis(420)),
        first_paint: None,
    }));
    obs
}

#[cfg(feature = "html")]
#[test]
fn element_counts_and_text_reads_the_rendered_page() {
    let obs = page();
    passes("element(nav a) >= 2", &obs);
    passes("html(nav a) == 2", &obs);
    passes("text(#hero-dashboard) == \"5 persons\"", &obs);
    passes("text(nav a) == \"Contexts Photos\"", &obs);
    fails("text(#missing) exists", &obs);
    assert_eq!(
        got("text(#missing) == \"x\"", &obs),
        "nothing (no element, or no text in it)"
    );
}

#[test]
fn what_went_wrong_is_counted_and_named() {
    let obs = page();
    fails("images.broken == 0", &obs);
    passes("images.broken == 2", &obs);
    passes("console.errors == 0", &obs);
    passes("requests.failed > 20", &obs);
    let named = got("images.broken == 0", &obs);
    assert!(
        named.starts_with("2: \"/hero_foundry/rpc/api/file/root/Photos/a.jpg\", "),
        "{named}"
    );
    // What a page put in a name stays inert: no raw escape reaches a terminal.
    assert!(!named.contains('\u{1b}'), "{named}");
    assert_eq!(got("console.errors > 0", &obs), "0");
    assert!(
        got("requests.failed == 0", &obs).ends_with("and 24 more"),
        "{}",
        got("requests.failed == 0", &obs)
    );
    passes("timings.load < 1s", &obs);
    assert_eq!(
        got("timings.first_paint < 1s", &obs),
        "nothing (the browser did not report it)"
    );
}

#[test]
fn an_answer_without_a_page_has_none_of_them() {
    let obs = http("{}");
    fails("images.broken == 0", &obs);
    assert_eq!(
        got("console.errors == 0", &obs),
        "nothing (only a browse probe sees a page)"
    );
}

#[test]
fn page_subjects_are_typed_when_the_panel_loads() {
    rejects("images.broken == \"x\"", 18, "a number");
    rejects("timings.load < 5", 16, "duration");
    rejects("image.broken == 0", 1, "did you mean `images.broken`");
}
