//! Random draws the generator makes beyond `rand`'s own: normal,
//! log-uniform and Poisson, from one seeded generator so a seed reproduces
//! the tables.

use rand::Rng;
use rand_xoshiro::Xoshiro256Plus;

/// A standard normal draw (Box–Muller).
pub fn normal(rng: &mut Xoshiro256Plus) -> f64 {
    let u1: f64 = rng.gen_range(f64::MIN_POSITIVE..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

pub(super) fn log_uniform(rng: &mut Xoshiro256Plus, lo: f64, hi: f64) -> f64 {
    (rng.gen_range(lo.ln()..hi.ln())).exp()
}

pub(super) fn poisson(rng: &mut Xoshiro256Plus, mean: f64) -> usize {
    let l = (-mean).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= rng.gen::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}
