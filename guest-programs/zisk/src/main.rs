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

#[cfg(not(all(target_os = "zkvm", target_vendor = "zisk")))]
fn main() -> std::io::Result<()> {
    use std::io::{Read, Write};
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input)?;
    let public_values = clob_core::guest::execute(&input)
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{error:?}")))?;
    std::io::stdout().write_all(&public_values)
}
