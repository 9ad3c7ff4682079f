//! Handing freed heap memory back to the operating system between stages,
//! and keeping large freed blocks for reuse in the room below the peak so far.

/// Return the heap memory that earlier stages freed to the operating system.
///
/// glibc's allocator keeps freed memory in its arenas, and polars gives each
/// worker thread an arena of its own. Memory one stage frees on one thread is
/// then not reused by the next stage's allocations on another, and the
/// resident set grows with every stage although little of it is live. On
/// 1M accounts and 10M deals the peak fell from about 2.2 GiB to 1.6 GiB
/// once this ran at each stage boundary; the calls take about 0.15 s in all.
///
/// Elsewhere (musl, macOS) this does nothing.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers; it walks glibc's own arenas
    // under their locks and only releases pages that hold no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Resident memory of this process, MiB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resident {
    /// The high-water mark since the process started (`VmHWM`).
    pub peak_mib: f64,
    /// Resident now (`VmRSS`).
    pub now_mib: f64,
}

/// This process's resident memory, where `/proc/self/status` exists (Linux).
pub fn resident() -> Option<Resident> {
    parse_status(&std::fs::read_to_string("/proc/self/status").ok()?)
}

fn parse_status(status: &str) -> Option<Resident> {
    let kib = |key: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line[key.len()..].split_whitespace().next()?.parse().ok()
    };
    Some(Resident {
        peak_mib: kib("VmHWM:")? / 1024.0,
        now_mib: kib("VmRSS:")? / 1024.0,
    })
}

/// Allocations of at least this many bytes are pages of their own, mapped
/// here; smaller ones are glibc's.
pub const LARGE: usize = 1 << 20;
const PAGE: usize = 4096;
/// Freed large blocks kept at most.
const SLOTS: usize = 64;

/// The global allocator of the `abm-segments` binary: glibc's for small
/// allocations; for large ones ([`LARGE`] bytes and more), pages mapped
/// here, and a freed large block (its pages in memory only) kept for the
/// next large allocation that fits.
///
/// Why: the machines this runs on are virtual, and their host takes back
/// the pages a guest frees (free page reporting). Memory freed and mapped
/// again is then faulted in twice, by the guest and by the host: on the
/// 2-core benchmark machine 0.5 to 2 GB/s, against 8 GB/s to write memory
/// already in place. At 10M accounts the kernel's share of a `discover`
/// run was 39 to 52 s of CPU, most of it faulting in pages freed a stage
/// before.
///
/// Kept blocks only fill room below the peak so far: before new pages are
/// mapped, kept blocks are unmapped until resident memory plus the new
/// pages is a sixteenth below the process's high-water mark. That is a
/// margin, not a bound: another thread mapping pages at the same moment,
/// or glibc's heap growing, is not seen here. Without the margin the 10M
/// peak rose by about 300 MiB; with it, it stayed within the previous
/// build's (7,499 to 7,592 MiB against 7,596).
pub struct KeepWithinPeak;

/// Freed large blocks, `(address, bytes)`, page-aligned.
struct Kept {
    blocks: [(usize, usize); SLOTS],
    n: usize,
}

impl Kept {
    const fn new() -> Self {
        Kept {
            blocks: [(0, 0); SLOTS],
            n: 0,
        }
    }

    /// The smallest kept block of at least `len` bytes, cut to `len`: the
    /// rest stays kept.
    fn take(&mut self, len: usize) -> Option<usize> {
        let i = (0..self.n)
            .filter(|&i| self.blocks[i].1 >= len)
            .min_by_key(|&i| self.blocks[i].1)?;
        let (addr, have) = self.blocks[i];
        if have > len {
            self.blocks[i] = (addr + len, have - len);
        } else {
            self.n -= 1;
            self.blocks[i] = self.blocks[self.n];
        }
        Some(addr)
    }

    /// Keep a block; when every slot is taken, the smallest block (this
    /// one or a kept one) is returned to be unmapped.
    fn keep(&mut self, block: (usize, usize)) -> Option<(usize, usize)> {
        if self.n < SLOTS {
            self.blocks[self.n] = block;
            self.n += 1;
            return None;
        }
        let i = (0..self.n).min_by_key(|&i| self.blocks[i].1)?;
        if self.blocks[i].1 >= block.1 {
            return Some(block);
        }
        Some(std::mem::replace(&mut self.blocks[i], block))
    }

    /// The largest kept block, no longer kept.
    fn largest(&mut self) -> Option<(usize, usize)> {
        let i = (0..self.n).max_by_key(|&i| self.blocks[i].1)?;
        let b = self.blocks[i];
        self.n -= 1;
        self.blocks[i] = self.blocks[self.n];
        Some(b)
    }
}

static KEPT: std::sync::Mutex<Kept> = std::sync::Mutex::new(Kept::new());

fn kept() -> std::sync::MutexGuard<'static, Kept> {
    // Nothing panics while the lock is held; should it, the blocks are
    // still a valid list.
    KEPT.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where blocks are mapped here: Linux with glibc, on 4 KiB pages.
const MAPS: bool = cfg!(all(
    target_os = "linux",
    target_env = "gnu",
    target_arch = "x86_64"
));

fn is_large(layout: std::alloc::Layout) -> bool {
    MAPS && layout.size() >= LARGE && layout.align() <= PAGE
}

fn pages(bytes: usize) -> usize {
    bytes.div_ceil(PAGE) * PAGE
}

// SAFETY (every method): small layouts go to `System` unchanged; a large
// layout's block is `pages(size)` bytes mapped here, page-aligned (so any
// alignment up to a page holds), and the same layout frees it (Rust's
// contract), so the same rounding finds its length.
unsafe impl std::alloc::GlobalAlloc for KeepWithinPeak {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if !is_large(layout) {
            return unsafe { std::alloc::System.alloc(layout) };
        }
        let len = pages(layout.size());
        if let Some(addr) = kept().take(len) {
            return addr as *mut u8;
        }
        os::map(len)
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        if !is_large(layout) {
            return unsafe { std::alloc::System.alloc_zeroed(layout) };
        }
        let len = pages(layout.size());
        if let Some(addr) = kept().take(len) {
            // Writing zeros over pages in place is several times faster
            // than faulting fresh zero pages in.
            unsafe { std::ptr::write_bytes(addr as *mut u8, 0, len) };
            return addr as *mut u8;
        }
        os::map(len)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        if !is_large(layout) {
            return unsafe { std::alloc::System.dealloc(ptr, layout) };
        }
        keep((ptr as usize, pages(layout.size())));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `realloc`'s contract: the new size with the old alignment
        // is a valid layout.
        let new_layout =
            unsafe { std::alloc::Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (is_large(layout), is_large(new_layout)) {
            (false, false) => unsafe { std::alloc::System.realloc(ptr, layout, new_size) },
            (true, true) => unsafe { resize(ptr, layout.size(), new_size) },
            _ => {
                let new = unsafe { self.alloc(new_layout) };
                if !new.is_null() {
                    let n = layout.size().min(new_size);
                    unsafe {
                        std::ptr::copy_nonoverlapping(ptr, new, n);
                        self.dealloc(ptr, layout);
                    }
                }
                new
            }
        }
    }
}

/// Keep a freed block's pages that are in memory. A vector's capacity
/// beyond its length was never written, and those pages were never faulted
/// in: the block's tail from its last page in memory on is unmapped, so
/// that a kept block, reused, faults in no page the peak did not count.
fn keep(block: (usize, usize)) {
    let block = os::in_memory_prefix(block);
    if block.1 == 0 {
        return;
    }
    if let Some(unkept) = kept().keep(block) {
        os::unmap(unkept);
    }
}

/// A large block of `old` bytes at `ptr` resized to `new` bytes: a shrunk
/// block's tail is kept; a grown one moves into a kept block when one is
/// large enough (a copy, and no page faulted in), else grows in place or
/// moves (`mremap`).
unsafe fn resize(ptr: *mut u8, old: usize, new: usize) -> *mut u8 {
    let (old_len, new_len) = (pages(old), pages(new));
    let addr = ptr as usize;
    if new_len <= old_len {
        if new_len < old_len {
            keep((addr + new_len, old_len - new_len));
        }
        return ptr;
    }
    let taken = kept().take(new_len);
    match taken {
        Some(to) => {
            // SAFETY: `to` is a kept block of at least `new_len` bytes, no
            // longer kept, and no allocation overlaps it.
            unsafe { std::ptr::copy_nonoverlapping(ptr, to as *mut u8, old) };
            keep((addr, old_len));
            to as *mut u8
        }
        None => os::remap((addr, old_len), new_len),
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]
mod os {
    use super::kept;

    /// Unmap kept blocks, the largest first, until resident memory plus
    /// `len` more bytes is within the peak so far, less a margin of a
    /// sixteenth of it: other threads map pages at the same time, and
    /// small allocations grow the heap unseen here.
    fn make_room(len: usize) {
        let mut kept = kept();
        while kept.n > 0 {
            match resident_and_peak() {
                Some((now, peak)) if now + len + peak / 16 > peak => {}
                _ => return,
            }
            if let Some(b) = kept.largest() {
                unmap(b);
            }
        }
    }

    pub fn map(len: usize) -> *mut u8 {
        make_room(len);
        // SAFETY: a new private anonymous mapping; no pointer is passed in.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            std::ptr::null_mut()
        } else {
            p as *mut u8
        }
    }

    pub fn remap((addr, old_len): (usize, usize), new_len: usize) -> *mut u8 {
        make_room(new_len - old_len);
        // SAFETY: `addr..addr + old_len` is a block mapped here and owned by
        // the caller; on success the old range is no longer mapped.
        let p = unsafe {
            libc::mremap(
                addr as *mut libc::c_void,
                old_len,
                new_len,
                libc::MREMAP_MAYMOVE,
            )
        };
        if p == libc::MAP_FAILED {
            std::ptr::null_mut()
        } else {
            p as *mut u8
        }
    }

    pub fn unmap((addr, len): (usize, usize)) {
        // SAFETY: the block was mapped here and nothing refers to it.
        unsafe { libc::munmap(addr as *mut libc::c_void, len) };
    }

    /// The block up to its last page in memory (`mincore`); the pages after
    /// it are unmapped.
    pub fn in_memory_prefix((addr, len): (usize, usize)) -> (usize, usize) {
        const AT_ONCE: usize = 4096;
        let mut vec = [0u8; AT_ONCE];
        let mut end = len;
        while end > 0 {
            let from = end.saturating_sub(AT_ONCE * super::PAGE);
            let n = (end - from) / super::PAGE;
            // SAFETY: the range is mapped here and page-aligned; `vec` holds
            // one byte per page of it.
            let ok = unsafe {
                libc::mincore(
                    (addr + from) as *mut libc::c_void,
                    end - from,
                    vec.as_mut_ptr(),
                )
            };
            if ok != 0 {
                // Residency unknown: keep the whole block.
                return (addr, len);
            }
            if let Some(last) = vec[..n].iter().rposition(|&v| v & 1 == 1) {
                end = from + (last + 1) * super::PAGE;
                break;
            }
            end = from;
        }
        if end < len {
            unmap((addr + end, len - end));
        }
        (addr, end)
    }

    /// Resident bytes now (`/proc/self/statm`) and at the peak
    /// (`ru_maxrss`), read without allocating.
    fn resident_and_peak() -> Option<(usize, usize)> {
        let mut buf = [0u8; 128];
        // SAFETY: a NUL-terminated path; `buf` outlives the read.
        let n = unsafe {
            let fd = libc::open(
                c"/proc/self/statm".as_ptr(),
                libc::O_RDONLY | libc::O_CLOEXEC,
            );
            if fd < 0 {
                return None;
            }
            let n = libc::read(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len());
            libc::close(fd);
            n
        };
        let text = std::str::from_utf8(buf.get(..usize::try_from(n).ok()?)?).ok()?;
        let pages: usize = text.split_ascii_whitespace().nth(1)?.parse().ok()?;
        // SAFETY: `usage` is written by the call.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
            return None;
        }
        let peak = usize::try_from(usage.ru_maxrss).ok()? * 1024;
        Some((pages * super::PAGE, peak))
    }
}

/// Elsewhere no layout is large, and nothing reaches these.
#[cfg(not(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64")))]
mod os {
    pub fn map(_: usize) -> *mut u8 {
        unreachable!("no large layouts")
    }
    pub fn remap(_: (usize, usize), _: usize) -> *mut u8 {
        unreachable!("no large layouts")
    }
    pub fn unmap(_: (usize, usize)) {
        unreachable!("no large layouts")
    }
    pub fn in_memory_prefix(_: (usize, usize)) -> (usize, usize) {
        unreachable!("no large layouts")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_blocks_are_taken_smallest_first_and_cut_to_size() {
        let mut k = Kept::new();
        assert_eq!(k.take(PAGE), None);
        assert_eq!(k.keep((1 << 30, 8 * PAGE)), None);
        assert_eq!(k.keep((2 << 30, 3 * PAGE)), None);
        assert_eq!(k.keep((3 << 30, 5 * PAGE)), None);
        // The smallest block that holds 4 pages is the 5-page one; its last
        // page stays kept.
        assert_eq!(k.take(4 * PAGE), Some(3 << 30));
        assert_eq!(k.take(PAGE), Some((3 << 30) + 4 * PAGE));
        assert_eq!(k.take(9 * PAGE), None);
        assert_eq!(k.take(3 * PAGE), Some(2 << 30));
        assert_eq!(k.largest(), Some((1 << 30, 8 * PAGE)));
        assert_eq!(k.largest(), None);
    }

    #[test]
    fn with_every_slot_taken_the_smallest_block_is_let_go() {
        let mut k = Kept::new();
        for i in 0..SLOTS {
            assert_eq!(k.keep(((i + 1) << 30, (i + 2) * PAGE)), None);
        }
        // Smaller than every kept block: let go itself.
        assert_eq!(k.keep((1 << 40, PAGE)), Some((1 << 40, PAGE)));
        // Larger: takes the smallest's slot.
        assert_eq!(k.keep((1 << 41, 1000 * PAGE)), Some((1 << 30, 2 * PAGE)));
        assert_eq!(k.largest(), Some((1 << 41, 1000 * PAGE)));
    }

    /// Large blocks keep their contents through every kind of resize,
    /// and a zeroed one is zero when it is a reused block.
    #[test]
    fn large_blocks_keep_their_contents_through_resizes() {
        use std::alloc::{GlobalAlloc, Layout};
        let a = KeepWithinPeak;
        let layout = |n| Layout::from_size_align(n, 8).unwrap();
        let fill =
            |p: *mut u8, n: usize| (0..n).for_each(|i| unsafe { *p.add(i) = (i % 251) as u8 });
        let holds = |p: *mut u8, n: usize| (0..n).all(|i| unsafe { *p.add(i) } == (i % 251) as u8);
        unsafe {
            let n = 3 * LARGE + 123;
            let p = a.alloc(layout(n));
            assert!(!p.is_null());
            fill(p, n);
            a.dealloc(p, layout(n));
            // Most likely the block just freed, written all over.
            let z = a.alloc_zeroed(layout(n));
            assert!((0..n).all(|i| *z.add(i) == 0), "a zeroed block is zero");
            fill(z, n);
            // A kept block, written, for the next growth to move into.
            let spare = a.alloc(layout(6 * LARGE));
            fill(spare, 6 * LARGE);
            a.dealloc(spare, layout(6 * LARGE));
            let g = a.realloc(z, layout(n), 5 * LARGE);
            assert!(holds(g, n), "grown");
            fill(g, 5 * LARGE);
            // Most likely larger than every kept block: grown in place.
            let g2 = a.realloc(g, layout(5 * LARGE), 40 * LARGE);
            assert!(holds(g2, 5 * LARGE), "grown again");
            let s = a.realloc(g2, layout(40 * LARGE), LARGE + 7);
            assert!(holds(s, LARGE + 7), "shrunk");
            let small = a.realloc(s, layout(LARGE + 7), 1000);
            assert!(holds(small, 1000), "shrunk below a large block");
            let big = a.realloc(small, layout(1000), 2 * LARGE);
            assert!(holds(big, 1000), "grown from a small block");
            a.dealloc(big, layout(2 * LARGE));
        }
    }

    #[test]
    fn peak_and_resident_memory_are_read_from_proc_status() {
        let status = "Name:\tabm-segments\nVmPeak:\t 3000000 kB\nVmHWM:\t 1622016 kB\nVmRSS:\t 1048576 kB\nThreads:\t3\n";
        assert_eq!(
            parse_status(status),
            Some(Resident {
                peak_mib: 1584.0,
                now_mib: 1024.0
            })
        );
        assert_eq!(parse_status("VmRSS:\t 10 kB\n"), None);
        if cfg!(target_os = "linux") {
            let r = resident().expect("/proc/self/status on Linux");
            assert!(r.peak_mib >= r.now_mib && r.now_mib > 0.0, "{r:?}");
        }
    }
}
