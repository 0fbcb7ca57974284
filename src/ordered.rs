//! Parallel work consumed in order: each job runs on the rayon pool, at most `window` at a time,
//! and its result is handed to the caller's thread in job order as soon as it and every job
//! before it are done. A fleet scan holds `window` reports, not thousands.

use std::collections::BTreeMap;
use std::sync::mpsc;

/// Runs `work` on every job in parallel and `consume` on every result, in job order, on the
/// calling thread. Stops at the first error `consume` returns (jobs in flight finish first).
pub fn map_in_order<J, R, E>(
    jobs: Vec<J>,
    window: usize,
    work: impl Fn(J) -> R + Sync,
    mut consume: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E>
where
    J: Send,
    R: Send,
{
    let window = window.max(1);
    let work = &work;
    // The scope's body runs on this thread, not on a worker: waiting here never takes a
    // worker away from the jobs.
    rayon::in_place_scope(|scope| {
        let (done, results) = mpsc::channel();
        let mut jobs = jobs.into_iter().enumerate();
        let mut waiting: BTreeMap<usize, R> = BTreeMap::new();
        let (mut started, mut next) = (0, 0);
        loop {
            while started < next + window {
                let Some((index, job)) = jobs.next() else {
                    break;
                };
                let done = done.clone();
                scope.spawn(move |_| {
                    // The receiver only goes away once this loop has returned.
                    let _ = done.send((index, work(job)));
                });
                started += 1;
            }
            if next == started {
                return Ok(());
            }
            let Ok((index, result)) = results.recv() else {
                return Ok(());
            };
            waiting.insert(index, result);
            while let Some(result) = waiting.remove(&next) {
                next += 1;
                consume(result)?;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::map_in_order;

    #[test]
    fn results_arrive_in_job_order_whatever_the_window() {
        for window in [1, 2, 3, 64] {
            let mut seen = Vec::new();
            let jobs: Vec<u64> = (0..100).collect();
            // Later jobs finish first: the order must not follow completion.
            let outcome: Result<(), ()> = map_in_order(
                jobs,
                window,
                |n| {
                    std::thread::sleep(std::time::Duration::from_micros((100 - n) * 20));
                    n * 2
                },
                |r| {
                    seen.push(r);
                    Ok(())
                },
            );
            assert_eq!(outcome, Ok(()));
            assert_eq!(
                seen,
                (0..100).map(|n| n * 2).collect::<Vec<_>>(),
                "{window}"
            );
        }
    }

    #[test]
    fn an_error_stops_consuming() {
        let mut seen = Vec::new();
        let outcome = map_in_order(
            (0..50).collect(),
            4,
            |n: u32| n,
            |n| {
                seen.push(n);
                if n == 7 { Err(n) } else { Ok(()) }
            },
        );
        assert_eq!(outcome, Err(7));
        assert_eq!(seen, (0..=7).collect::<Vec<_>>());
    }

    #[test]
    fn no_jobs_no_results() {
        let outcome: Result<(), ()> = map_in_order(Vec::<u8>::new(), 4, |n| n, |_| Err(()));
        assert_eq!(outcome, Ok(()));
    }
}
