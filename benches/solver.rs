//! Criterion benches: one fit over a size grid, residual vs Gram mode, working
//! sets on/off. Data from `generate::MakeRegression` with fixed seeds.
//!
//! Run: `cargo bench --bench solver`. CI only compiles them (`--no-run`).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mtreg::generate::MakeRegression;
use mtreg::{GramMode, MultiTaskLasso, alpha_max};
use std::hint::black_box;

fn data(n: usize, p: usize, t: usize, rank: Option<usize>) -> mtreg::generate::Regression {
    MakeRegression::new()
        .n_samples(n)
        .n_features(p)
        .n_informative(20.min(p))
        .n_targets(t)
        .effective_rank(rank)
        .noise(1.0)
        .seed(42)
        .generate()
        .expect("valid parameters")
}

fn fit_grid(c: &mut Criterion) {
    let mut group = c.benchmark_group("fit_mtl");
    group.sample_size(10);
    // (n, p, T, effective_rank): wide correlated, square-ish, tall.
    for &(n, p, t, rank) in &[
        (100, 1000, 10, Some(50)),
        (300, 300, 20, None),
        (5000, 100, 10, None),
    ] {
        let d = data(n, p, t, rank);
        let amax = alpha_max(&d.x, &d.y, 1.0, true).unwrap();
        for ratio in [0.1, 0.01] {
            let id = format!("{n}x{p}x{t}/ratio{ratio}");
            for (mode_name, mode) in [("residual", GramMode::Never), ("gram", GramMode::Always)] {
                if mode == GramMode::Always && n < p {
                    continue;
                }
                group.bench_with_input(BenchmarkId::new(mode_name, &id), &d, |b, d| {
                    b.iter(|| {
                        MultiTaskLasso::new(ratio * amax)
                            .tol(1e-6)
                            .gram(mode)
                            .fit(black_box(&d.x), black_box(&d.y))
                            .unwrap()
                    })
                });
            }
            group.bench_with_input(BenchmarkId::new("no_working_set", &id), &d, |b, d| {
                b.iter(|| {
                    MultiTaskLasso::new(ratio * amax)
                        .tol(1e-6)
                        .gram(GramMode::Never)
                        .working_set(false)
                        .fit(black_box(&d.x), black_box(&d.y))
                        .unwrap()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, fit_grid);
criterion_main!(benches);
