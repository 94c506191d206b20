//! The benchmark harness measures real runs of the binary (small sizes here; the figures come
//! from `smoke-sim bench`, not from this test).

mod common;

use smoke_sim::bench::{render, run, BenchOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bench_measures_every_scenario_and_prints_a_row_each() {
    let opts = BenchOptions {
        exe: env!("CARGO_BIN_EXE_smoke-internal").into(),
        herodemo: common::herodemo_panel(),
        runs: 2,
        probes: 40,
        sockets: 4,
        failing: 30,
    };
    let scenarios = run(&opts).await.unwrap();
    assert_eq!(scenarios.len(), 4);
    assert_eq!(scenarios[3].probes, 30);
    assert!(scenarios[3].samples.iter().all(|s| s.exit == 2));
    // The generated panel, then the same judged against a baseline of itself: no drift, so
    // every run still exits 0.
    for generated in &scenarios[1..3] {
        assert_eq!(generated.probes, 40);
        assert_eq!(generated.samples.len(), 2);
        for s in &generated.samples {
            assert_eq!(s.exit, 0);
            assert!(s.max_rss_kib > 0 && s.wall > s.tick && !s.cpu.is_zero());
        }
    }
    let table = render(&scenarios);
    assert!(table.lines().nth(1).unwrap().starts_with("herodemo"));
    assert!(table.lines().nth(2).unwrap().starts_with("generated"));
    assert!(table.lines().nth(3).unwrap().starts_with("drift"));
    assert!(table.lines().nth(4).unwrap().starts_with("failing"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_soak_samples_a_loop_over_a_long_history_and_its_page_stays_capped() {
    let opts = smoke_sim::soak::SoakOptions {
        exe: env!("CARGO_BIN_EXE_smoke-internal").into(),
        panel: common::herodemo_panel(),
        prefill: 600,
        run_for: std::time::Duration::from_secs(4),
        sample_every: std::time::Duration::from_secs(1),
    };
    let samples = smoke_sim::soak::run(&opts).await.unwrap();
    assert!(samples.len() >= 3, "{samples:?}");
    for s in &samples {
        assert!(s.rss_kib > 0 && s.status_bytes > 0, "{s:?}");
        // 600 ticks of history: the strip shows the latest 288.
        assert_eq!(s.cells, smoke_loop::status::STRIP_CELLS, "{s:?}");
    }
    let table = smoke_sim::soak::render(&samples);
    assert_eq!(table.lines().count(), samples.len() + 1, "{table}");
}
