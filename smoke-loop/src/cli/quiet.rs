//! `mute` and `unmute`: quiet a probe or a tag for a while, in the state folder a running loop
//! reads every tick.

use super::{state_dir, CliError, MuteArgs, UnmuteArgs};
use crate::quiet::{Mute, Mutes, EVERY_PROBE};
use smoke_core::engine::{Mode, Panel, Side};

/// What a mute or unmute names: `--all` is every probe.
fn target(name: Option<&String>, all: bool) -> &str {
    match (name, all) {
        (Some(name), false) => name,
        // clap requires one or the other.
        _ => EVERY_PROBE,
    }
}

/// How a target reads in what the command says.
fn shown(target: &str) -> &str {
    match target {
        EVERY_PROBE => "every probe",
        one => one,
    }
}

pub fn mute(panel: &Panel, side: &dyn Side, mode: Mode, args: &MuteArgs) -> Result<u8, CliError> {
    let target = target(args.target.as_ref(), args.all);
    if target != EVERY_PROBE {
        known(panel, side, target)?;
    }
    let until = smoke_core::engine::later(jiff::Timestamp::now(), args.duration).ok_or(
        CliError::MuteTooLong {
            duration: args.duration,
        },
    )?;
    let dir = state_dir(panel, mode, args.state_dir.as_deref());
    Mutes::update(&dir, |m| {
        m.mutes.retain(|x| x.target != target);
        m.mutes.push(Mute {
            target: target.to_string(),
            until,
            reason: args.reason.clone(),
        });
    })?;
    println!(
        "muted {} until {} ({}): it runs and shows, tells no one, restarts nothing",
        shown(target),
        until.strftime("%Y-%m-%d %H:%M UTC"),
        args.reason
    );
    Ok(0)
}

pub fn unmute(panel: &Panel, mode: Mode, args: &UnmuteArgs) -> Result<u8, CliError> {
    let target = target(args.target.as_ref(), args.all);
    let dir = state_dir(panel, mode, args.state_dir.as_deref());
    let mut removed = 0;
    Mutes::update(&dir, |m| {
        let before = m.mutes.len();
        m.mutes.retain(|x| x.target != target);
        removed = before - m.mutes.len();
    })?;
    if removed == 0 {
        println!("{} was not muted", shown(target));
    } else {
        println!("unmuted {}", shown(target));
    }
    Ok(0)
}

/// A mute of a name no probe has and no tag names would quiet nothing: say so instead.
fn known(panel: &Panel, side: &dyn Side, target: &str) -> Result<(), CliError> {
    let matches = panel.probes.iter().any(|p| {
        p.settings.tags.iter().any(|t| t == target)
            || p.name == target
            || (p.for_each_service
                && p.name
                    .split_once(smoke_core::engine::SERVICE_PLACEHOLDER)
                    .is_some_and(|(pre, post)| target.starts_with(pre) && target.ends_with(post)))
    });
    if matches || side.own_checks(panel).iter().any(|n| n == target) {
        Ok(())
    } else {
        Err(CliError::UnknownTarget {
            target: target.to_string(),
            panel: panel.source.clone(),
        })
    }
}
