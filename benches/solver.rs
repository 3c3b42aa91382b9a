//! Criterion benches: one fit over a size grid, residual vs Gram mode, working
//! sets on/off; the kernels (row-at-a-time vs blocked epoch, duality gap, KKT
//! scoring pass). Data from `generate::MakeRegression` with fixed seeds.
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

criterion_group!(benches, fit_grid, row_update, kernels);
criterion_main!(benches);

/// One BCD epoch over every row (all rows active), with and without a task
/// coupling: the graph term must add only O(T²) per row update.
fn row_update(c: &mut Criterion) {
    use mtreg::bcd::Workspace;
    use mtreg::datafit::Quadratic;
    use mtreg::datafit::row_epoch;
    use mtreg::penalty::{Coupled, L21, Sparsity, TaskGraph};

    let mut group = c.benchmark_group("epoch_all_rows");
    group.sample_size(10);
    for &(n, p, t) in &[(300, 500, 50), (300, 500, 10)] {
        let d = data(n, p, t, None);
        let amax = alpha_max(&d.x, &d.y, 1.0, false).unwrap();
        let alpha = 0.001 * amax;
        let l21 = L21::new(alpha, 1.0);
        let lap = TaskGraph::chain(t).laplacian();
        let coupled = Coupled::new(
            alpha,
            Sparsity::Group,
            faer::Mat::from_fn(t, t, |i, j| lap[(i, j)]),
        )
        .unwrap();
        let ws: Vec<usize> = (0..p).collect();
        // A realistic state: a few epochs from zero.
        let mut df = Quadratic::new(d.x.clone(), d.y.clone());
        let mut wt = faer::Mat::<f64>::zeros(t, p);
        let mut work = Workspace::new(t);
        for _ in 0..3 {
            row_epoch(&mut df, &l21, &mut wt, &ws, &mut work);
        }
        let id = format!("{n}x{p}x{t}");
        group.bench_function(BenchmarkId::new("l21", &id), |b| {
            b.iter_batched(
                || (df.clone(), wt.clone()),
                |(mut df, mut wt)| row_epoch(&mut df, &l21, &mut wt, &ws, &mut work),
                criterion::BatchSize::LargeInput,
            )
        });
        let mut work2 = Workspace::new(t);
        group.bench_function(BenchmarkId::new("l21_chain_graph", &id), |b| {
            b.iter_batched(
                || (df.clone(), wt.clone()),
                |(mut df, mut wt)| row_epoch(&mut df, &coupled, &mut wt, &ws, &mut work2),
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

/// The kernels on their own: an epoch over every row with the row-at-a-time
/// kernel and with the blocked one (`Datafit::epoch`), in residual and in Gram
/// mode, and the passes of an outer check (the duality gap, the KKT /
/// working-set scoring pass, and the gap-safe screening pass).
fn kernels(c: &mut Criterion) {
    use mtreg::bcd::Workspace;
    use mtreg::datafit::row_epoch;
    use mtreg::datafit::{Datafit, Quadratic};
    use mtreg::penalty::{L21, Penalty};
    use mtreg::solver::gap::{duality_gap, duality_gap_scaled, kkt_residual};
    use mtreg::solver::screening::{Screened, Sphere};

    let mut group = c.benchmark_group("kernels");
    group.sample_size(10);
    for &(n, p, t) in &[(240, 2000, 50), (1000, 500, 10)] {
        let d = data(n, p, t, Some(n / 4));
        let amax = alpha_max(&d.x, &d.y, 1.0, false).unwrap();
        let l21 = L21::new(0.01 * amax, 1.0);
        let ws: Vec<usize> = (0..p).collect();
        let mut df = Quadratic::new(d.x.clone(), d.y.clone());
        let mut wt = faer::Mat::<f64>::zeros(t, p);
        let mut work = Workspace::new(t);
        for _ in 0..5 {
            df.epoch(&l21, &mut wt, &ws, &mut work);
        }
        let id = format!("{n}x{p}x{t}");
        group.bench_function(BenchmarkId::new("epoch_rows", &id), |b| {
            b.iter_batched(
                || (df.clone(), wt.clone()),
                |(mut df, mut wt)| row_epoch(&mut df, &l21, &mut wt, &ws, &mut work),
                criterion::BatchSize::LargeInput,
            )
        });
        let mut work2 = Workspace::new(t);
        group.bench_function(BenchmarkId::new("epoch_blocked", &id), |b| {
            b.iter_batched(
                || (df.clone(), wt.clone()),
                |(mut df, mut wt)| df.epoch(&l21, &mut wt, &ws, &mut work2),
                criterion::BatchSize::LargeInput,
            )
        });
        let mut grad = faer::Mat::<f64>::zeros(t, p);
        df.init_state(wt.as_ref());
        df.full_gradient(grad.as_mut());
        let stats = df.residual_stats(wt.as_ref()).unwrap();
        let form = l21.elastic_form().unwrap();
        group.bench_function(BenchmarkId::new("full_gradient", &id), |b| {
            b.iter(|| df.full_gradient(black_box(grad.as_mut())))
        });
        group.bench_function(BenchmarkId::new("duality_gap", &id), |b| {
            b.iter(|| duality_gap(&stats, &form, black_box(grad.as_ref()), wt.as_ref()))
        });
        group.bench_function(BenchmarkId::new("kkt_scoring_pass", &id), |b| {
            b.iter(|| kkt_residual(&l21, black_box(grad.as_ref()), wt.as_ref()))
        });
        // the gap-safe sphere test over every zero row (what the solver adds to
        // an outer check when screening is on)
        let (gap, scale) = duality_gap_scaled(&stats, &form, grad.as_ref(), wt.as_ref());
        let sphere = Sphere {
            l1: form.l1,
            l2: form.l2,
            scale,
            gap,
            y_sq: stats.y_sq,
        };
        group.bench_function(BenchmarkId::new("screening_pass", &id), |b| {
            b.iter(|| {
                let mut screened = Screened::new(p);
                let zero = (0..p).filter(|&j| wt.col(j).iter().all(|&v| v == 0.0));
                screened.screen(&sphere, zero, |j| {
                    let g = grad.col_as_slice(j);
                    Some((df.block_curvature(j), form.sparsity.block_dual_norm(g)))
                })
            })
        });
    }
    // Gram mode on the `tall` shape: the row kernel vs the blocked epoch, from
    // a state where the rows still move (a few epochs from zero). The Gram
    // statistics are built once, outside the timing.
    {
        use mtreg::datafit::Gram;
        let (n, p, t) = (50000, 200, 10);
        let d = data(n, p, t, None);
        let amax = alpha_max(&d.x, &d.y, 1.0, false).unwrap();
        let l21 = L21::new(0.01 * amax, 1.0);
        let ws: Vec<usize> = (0..p).collect();
        let mut df = Gram::new(d.x.as_ref(), d.y.as_ref());
        let mut wt = faer::Mat::<f64>::zeros(t, p);
        let mut work = Workspace::new(t);
        for _ in 0..5 {
            df.epoch(&l21, &mut wt, &ws, &mut work);
        }
        let id = format!("{n}x{p}x{t}");
        group.bench_function(BenchmarkId::new("epoch_gram_rows", &id), |b| {
            b.iter_batched(
                || (df.clone(), wt.clone()),
                |(mut df, mut wt)| row_epoch(&mut df, &l21, &mut wt, &ws, &mut work),
                criterion::BatchSize::LargeInput,
            )
        });
        let mut work2 = Workspace::new(t);
        group.bench_function(BenchmarkId::new("epoch_gram_blocked", &id), |b| {
            b.iter_batched(
                || (df.clone(), wt.clone()),
                |(mut df, mut wt)| df.epoch(&l21, &mut wt, &ws, &mut work2),
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}
