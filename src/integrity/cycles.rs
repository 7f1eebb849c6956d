//! Loops in the digest chain: a digest whose `previousDigestS3Object` is itself, or a
//! ring of digests each pointing to the next. A real chain only ever points back in
//! time, so a loop is a forgery (or a broken copy), and the walk judges every digest on
//! one as INVALID. Checking each link only against its *valid* neighbour, newest first,
//! cannot see a loop: the digest that closes it is judged before the one it vouches for.
//!
//! This is plain graph work, kept apart from the chain walk: nodes are digest indices,
//! an edge goes from a digest to each file its previous-digest link names.

/// The loops of the graph `next` (edges by node index; out-of-range targets ignored):
/// every strongly connected component that has an edge inside it, i.e. two or more
/// nodes, or one node that links to itself. Members in ascending order, loops in order
/// of their smallest member. Iterative Tarjan: a chain of thousands of digests cannot
/// overflow the stack.
pub fn loops(next: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut t = Tarjan::new(next.len());
    for root in 0..next.len() {
        if t.index[root].is_none() {
            t.visit_from(root, next);
        }
    }
    let mut found: Vec<Vec<usize>> = t
        .components
        .into_iter()
        .filter(|c| c.len() > 1 || c.first().is_some_and(|&v| next[v].contains(&v)))
        .map(|mut c| {
            c.sort_unstable();
            c
        })
        .collect();
    found.sort();
    found
}

struct Tarjan {
    index: Vec<Option<usize>>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    counter: usize,
    components: Vec<Vec<usize>>,
}

impl Tarjan {
    fn new(n: usize) -> Self {
        Self {
            index: vec![None; n],
            low: vec![0; n],
            on_stack: vec![false; n],
            stack: Vec::new(),
            counter: 0,
            components: Vec::new(),
        }
    }

    fn enter(&mut self, v: usize) {
        self.index[v] = Some(self.counter);
        self.low[v] = self.counter;
        self.counter += 1;
        self.stack.push(v);
        self.on_stack[v] = true;
    }

    /// Depth-first from `root` with an explicit stack of (node, next edge to follow).
    fn visit_from(&mut self, root: usize, next: &[Vec<usize>]) {
        self.enter(root);
        let mut work = vec![(root, 0usize)];
        while let Some(&(v, edge)) = work.last() {
            if let Some(&w) = next[v].get(edge) {
                if let Some(top) = work.last_mut() {
                    top.1 += 1;
                }
                match self.index.get(w).copied() {
                    Some(None) => {
                        self.enter(w);
                        work.push((w, 0));
                    }
                    Some(Some(iw)) if self.on_stack[w] => self.low[v] = self.low[v].min(iw),
                    _ => {}
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                self.low[parent] = self.low[parent].min(self.low[v]);
            }
            if Some(self.low[v]) == self.index[v] {
                self.close_component(v);
            }
        }
    }

    fn close_component(&mut self, v: usize) {
        let mut component = Vec::new();
        while let Some(w) = self.stack.pop() {
            self.on_stack[w] = false;
            component.push(w);
            if w == v {
                break;
            }
        }
        self.components.push(component);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_straight_chain_has_no_loop() {
        // 3 -> 2 -> 1 -> 0, newest first, as CloudTrail writes them.
        assert!(loops(&[vec![], vec![0], vec![1], vec![2]]).is_empty());
    }

    #[test]
    fn a_self_link_is_a_loop_of_one() {
        assert_eq!(loops(&[vec![], vec![0], vec![2]]), vec![vec![2]]);
    }

    #[test]
    fn a_ring_is_one_loop_and_what_points_into_it_is_not_on_it() {
        // 4 -> 3 -> 2 -> 1 -> 3; 0 stands alone.
        let next = [vec![], vec![3], vec![1], vec![2], vec![3]];
        assert_eq!(loops(&next), vec![vec![1, 2, 3]]);
    }

    #[test]
    fn copies_of_one_digest_and_bad_targets_are_handled() {
        // 2 names a key held by two files (0 and 1), one of which points back to 2.
        let next = [vec![], vec![2], vec![0, 1, 99]];
        assert_eq!(loops(&next), vec![vec![1, 2]]);
    }

    #[test]
    fn a_long_chain_does_not_overflow_the_stack() {
        let n = 200_000;
        let mut next: Vec<Vec<usize>> = (0..n).map(|i| if i == 0 { vec![] } else { vec![i - 1] }).collect();
        assert!(loops(&next).is_empty());
        next[0] = vec![n - 1];
        assert_eq!(loops(&next).len(), 1);
        assert_eq!(loops(&next)[0].len(), n);
    }
}
