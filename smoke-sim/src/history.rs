//! What people saw when a fault happened: the words a failure was reported in before any tool
//! caught it, or, for the faults only the outside can see, the words an operator would use. The
//! demo tells these stories and the coverage matrix names its faults by them, from this one list.

use crate::fault::Fault;

/// One failure as it was seen, and the fault that makes it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Historical {
    pub fault: Fault,
    pub seen: &'static str,
}

/// Every failure with a name, in the order the demo tells them: the ones that reached users
/// first, then those only the outside can see.
pub fn history() -> Vec<Historical> {
    let seen = |fault, seen| Historical { fault, seen };
    vec![
        seen(Fault::ContextFallback, "Contexts island shows Root x 5"),
        seen(Fault::PhotosBroken, "Photos render alt-text only"),
        seen(Fault::BizEmpty, "Biz dashboard shows 0 records"),
        seen(
            Fault::UiSocketMissing,
            "hero_os UI banner: Socket 'ui.sock' not found",
        ),
        seen(
            Fault::Hang("hero_foundry".into()),
            "hero_foundry rpc.sock accepts but doesn't respond",
        ),
        seen(Fault::CertExpired, "the public certificate has expired"),
        seen(Fault::DnsNxdomain, "the public name does not resolve"),
        seen(Fault::Gateway502, "the gateway answers 502 for everything"),
    ]
}

/// The words `fault` was seen in, when it has a history.
pub fn seen(fault: &Fault) -> Option<&'static str> {
    history()
        .into_iter()
        .find(|h| &h.fault == fault)
        .map(|h| h.seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_that_reached_users_has_its_words() {
        for fault in Fault::all_historical() {
            assert!(seen(&fault).is_some(), "{fault} has no history");
        }
        assert_eq!(
            seen(&Fault::BizEmpty),
            Some("Biz dashboard shows 0 records")
        );
        assert_eq!(seen(&Fault::Hang("hero_os".into())), None);
    }
}
