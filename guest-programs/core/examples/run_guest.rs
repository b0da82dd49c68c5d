//! Runs the guest program natively on a guest input file (for profiling): `run_guest FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("usage: run_guest <guest input>");
    let input = std::fs::read(path).expect("readable");
    let values = clob_core::guest::execute(&input).expect("a valid guest input");
    println!("0x{}", values.iter().map(|b| format!("{b:02x}")).collect::<String>());
}
