//! The fair part: the pre-queue is put in a uniformly random order when the sale opens, so arriving
//! early gives no advantage over arriving on time. `rand`'s Fisher-Yates shuffle, with a generator
//! seeded from the operating system for each opening (nothing to predict or replay).

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Shuffle in place, uniformly at random.
pub fn shuffle<T>(items: &mut [T]) {
    let mut rng = StdRng::from_entropy();
    items.shuffle(&mut rng);
}

/// A uniformly random permutation of `0..n`.
pub fn permutation(n: usize) -> Vec<u64> {
    let mut p: Vec<u64> = (0..n as u64).collect();
    shuffle(&mut p);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shuffle_is_a_permutation() {
        for n in [0, 1, 2, 10, 1000] {
            let mut p = permutation(n);
            p.sort();
            assert_eq!(p, (0..n as u64).collect::<Vec<_>>());
        }
    }

    /// Over many shuffles of 8 items, every item lands in every place about equally often: a
    /// chi-square test over the 8x8 table of (item, position) counts.
    #[test]
    fn a_shuffle_is_uniform_enough() {
        const N: usize = 8;
        const RUNS: usize = 40_000;
        let mut counts = [[0u64; N]; N];
        for _ in 0..RUNS {
            let mut v: Vec<usize> = (0..N).collect();
            shuffle(&mut v);
            for (pos, item) in v.into_iter().enumerate() {
                counts[item][pos] += 1;
            }
        }
        let expected = RUNS as f64 / N as f64;
        let chi2: f64 = counts.iter().flatten().map(|&c| (c as f64 - expected).powi(2) / expected).sum();
        // (N-1)^2 = 49 degrees of freedom: the 99.99th percentile is about 98.
        assert!(chi2 < 98.0, "chi-square {chi2} over {counts:?}");
        // And not suspiciously perfect either (the 0.01th percentile is about 20).
        assert!(chi2 > 15.0, "chi-square {chi2} is too good to be random");
    }
}
