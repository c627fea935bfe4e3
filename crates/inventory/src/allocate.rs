//! Best-available seat selection, a pure function of the seats that are free.
//!
//! The rule: the first row in layout order (nearest the stage) that has a contiguous block of the
//! requested size wins, and in it the block as central as the row allows. When no single row has
//! one, the fewest rows that hold enough free seats, each contributing its most central seats.

/// A free seat, in layout terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub section_order: i64,
    pub row_no: i64,
    /// 1-based position in the row.
    pub seat_index: i64,
    /// Seats in the row, free or not: the row's centre depends on it.
    pub row_size: i64,
}

/// Indices into `free` of the chosen seats, or `None` when fewer than `q` are free.
/// `free` may come in any order.
pub fn best_available(free: &[Slot], q: usize) -> Option<Vec<usize>> {
    if q == 0 || free.len() < q {
        return None;
    }
    let mut order: Vec<usize> = (0..free.len()).collect();
    order.sort_by_key(|&i| (free[i].section_order, free[i].row_no, free[i].seat_index));
    // Rows in layout order, each a list of indices sorted by seat.
    let mut rows: Vec<Vec<usize>> = Vec::new();
    for i in order {
        match rows.last_mut() {
            Some(r) if free[r[0]].section_order == free[i].section_order && free[r[0]].row_no == free[i].row_no => r.push(i),
            _ => rows.push(vec![i]),
        }
    }
    for row in &rows {
        if let Some(block) = central_block(free, row, q) {
            return Some(block);
        }
    }
    // No row fits the whole party: the fewest rows (largest first, layout order on ties).
    let mut by_size: Vec<&Vec<usize>> = rows.iter().collect();
    by_size.sort_by_key(|r| std::cmp::Reverse(r.len())); // stable: keeps layout order on ties
    let mut chosen = Vec::new();
    for row in by_size {
        let need = q - chosen.len();
        if need == 0 {
            break;
        }
        let centre2 = free[row[0]].row_size + 1;
        let mut seats = row.clone();
        seats.sort_by_key(|&i| ((2 * free[i].seat_index - centre2).abs(), free[i].seat_index));
        chosen.extend(seats.into_iter().take(need));
    }
    Some(chosen)
}

/// The most central run of `q` consecutive free seats in one row.
fn central_block(free: &[Slot], row: &[usize], q: usize) -> Option<Vec<usize>> {
    let centre2 = free[row[0]].row_size + 1; // twice the row's centre
    let mut best: Option<(i64, usize)> = None;
    let mut run_start = 0;
    for k in 0..row.len() {
        if k > 0 && free[row[k]].seat_index != free[row[k - 1]].seat_index + 1 {
            run_start = k;
        }
        if k + 1 - run_start >= q {
            let start = k + 1 - q;
            let mid2 = free[row[start]].seat_index + free[row[k]].seat_index;
            let dist = (mid2 - centre2).abs();
            if best.is_none_or(|(d, _)| dist < d) {
                best = Some((dist, start));
            }
        }
    }
    best.map(|(_, start)| row[start..start + q].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn slot(s: i64, r: i64, i: i64, size: i64) -> Slot {
        Slot { section_order: s, row_no: r, seat_index: i, row_size: size }
    }

    #[test]
    fn picks_the_central_block_of_the_front_row() {
        let free: Vec<Slot> = (1..=10).map(|i| slot(0, 1, i, 10)).chain((1..=10).map(|i| slot(0, 2, i, 10))).collect();
        let got = best_available(&free, 4).unwrap();
        let idx: Vec<i64> = got.iter().map(|&i| free[i].seat_index).collect();
        assert_eq!(idx, vec![4, 5, 6, 7]);
        assert!(got.iter().all(|&i| free[i].row_no == 1));
    }

    #[test]
    fn skips_a_front_row_without_a_block() {
        let mut free: Vec<Slot> = [1, 3, 5, 7, 9].iter().map(|&i| slot(0, 1, i, 10)).collect();
        free.extend((3..=5).map(|i| slot(0, 2, i, 10)));
        let got = best_available(&free, 3).unwrap();
        assert!(got.iter().all(|&i| free[i].row_no == 2));
    }

    #[test]
    fn too_few_is_none() {
        assert!(best_available(&[slot(0, 1, 1, 1)], 2).is_none());
        assert!(best_available(&[], 1).is_none());
    }

    fn runs(free: &[Slot]) -> BTreeMap<(i64, i64), Vec<i64>> {
        let mut m: BTreeMap<(i64, i64), Vec<i64>> = BTreeMap::new();
        for s in free {
            m.entry((s.section_order, s.row_no)).or_default().push(s.seat_index);
        }
        for v in m.values_mut() {
            v.sort();
        }
        m
    }

    fn longest_run(v: &[i64]) -> usize {
        let (mut best, mut cur) = (0, 0);
        for k in 0..v.len() {
            cur = if k > 0 && v[k] == v[k - 1] + 1 { cur + 1 } else { 1 };
            best = best.max(cur);
        }
        best
    }

    fn layout() -> impl Strategy<Value = Vec<Slot>> {
        // Up to 3 sections x 4 rows of 1..12 seats, each seat free with probability ~1/2.
        proptest::collection::vec((1i64..12, proptest::collection::vec(any::<bool>(), 12)), 1..12).prop_map(|rows| {
            let mut out = Vec::new();
            for (n, (size, mask)) in rows.into_iter().enumerate() {
                for i in 1..=size {
                    if mask[(i - 1) as usize] {
                        out.push(slot(n as i64 / 4, n as i64 % 4 + 1, i, size));
                    }
                }
            }
            out
        })
    }

    proptest! {
        #[test]
        fn allocation_rules_hold(free in layout(), q in 1usize..=10) {
            let got = best_available(&free, q);
            if free.len() < q {
                prop_assert!(got.is_none());
                return Ok(());
            }
            let got = got.unwrap();
            let distinct: BTreeSet<usize> = got.iter().copied().collect();
            prop_assert_eq!(distinct.len(), q);
            prop_assert!(got.iter().all(|&i| i < free.len()));
            let rows = runs(&free);
            let first_fit = rows.iter().find(|(_, v)| longest_run(v) >= q).map(|(k, _)| *k);
            let used_rows: BTreeSet<(i64, i64)> = got.iter().map(|&i| (free[i].section_order, free[i].row_no)).collect();
            match first_fit {
                Some(row) => {
                    // One row, the first that fits, contiguous.
                    prop_assert_eq!(used_rows.len(), 1);
                    prop_assert_eq!(*used_rows.iter().next().unwrap(), row);
                    let mut idx: Vec<i64> = got.iter().map(|&i| free[i].seat_index).collect();
                    idx.sort();
                    prop_assert!(idx.windows(2).all(|w| w[1] == w[0] + 1));
                }
                None => {
                    // The fewest rows that can hold the party.
                    let mut sizes: Vec<usize> = rows.values().map(|v| v.len()).collect();
                    sizes.sort_by(|a, b| b.cmp(a));
                    let mut k = 0;
                    let mut sum = 0;
                    while sum < q { sum += sizes[k]; k += 1; }
                    prop_assert_eq!(used_rows.len(), k);
                }
            }
        }
    }
}
