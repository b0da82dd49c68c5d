//! ZisK guest: reads the postcard `GuestInput`, runs the core's guest program, writes the 224
//! public-value bytes as ZisK public outputs. `ziskos` is only a dependency on the ZisK target
//! (see Cargo.toml); built for the host this runs the same function from stdin to stdout.
#![cfg_attr(all(target_os = "zkvm", target_vendor = "zisk"), no_main)]

#[cfg(all(target_os = "zkvm", target_vendor = "zisk"))]
ziskos::entrypoint!(main);

#[cfg(all(target_os = "zkvm", target_vendor = "zisk"))]
fn main() {
    let input = ziskos::io::read_slice();
    let public_values = clob_core::guest::execute(&input).expect("guest input must be complete");
    ziskos::io::commit_slice(&public_values);
}

/// Upstream std on `os = "zkvm"` reports a panic through `sys_panic`, which ziskos does not
/// export: write the message to ZisK's stdout and end the run with exit code 101 (ecall 93).
#[cfg(all(target_os = "zkvm", target_vendor = "zisk"))]
#[no_mangle]
extern "C" fn sys_panic(message: *const u8, len: usize) -> ! {
    ziskos::ziskos::sys_write(2, message, len);
    // SAFETY: ZisK's exit system call takes the exit code in a0 and does not return.
    unsafe { core::arch::asm!("li a7, 93", "ecall", in("a0") 101, options(noreturn)) }
}

#[cfg(not(all(target_os = "zkvm", target_vendor = "zisk")))]
fn main() -> std::io::Result<()> {
    use std::io::{Read, Write};
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input)?;
    let public_values = clob_core::guest::execute(&input)
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{error:?}")))?;
    std::io::stdout().write_all(&public_values)
}
