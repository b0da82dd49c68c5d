//! SP1 host for the clobnode guest: loads the guest ELF and a guest input file written by the
//! node (`postcard(GuestInput)`, PROTOCOL.md section 9), executes or proves it with sp1-sdk, and
//! writes a JSON fixture (vkey, publicValues, proof, cycles, times) that the node and Foundry read.
//!
//! ```text
//! clob-sp1-host <execute|core|compressed|groth16|plonk|vkey> --elf ELF [--input FILE]
//!               [--out FIXTURE.json] [--proof-out PROOF.bin] [--no-vkey]
//!               [--range-elf ELF --range-proof PROOF.bin …]
//! clob-sp1-host verify --elf ELF --proof PROOF.bin [--out RESULT.json]
//! ```
//! With `--range-elf ELF --range-proof PROOF.bin …` (the aggregation program, PROTOCOL.md section
//! 14) the input is built from the compressed range proofs, in the order given: the range
//! program's key digest, then each proof's public values. Each proof is checked with SP1's
//! verifier and handed to the prover as a deferred proof, which the aggregation's recursion
//! verifies; `execute` runs the program without them (SP1's executor does not verify them).
//! `verify` checks a proof saved with `--proof-out` with SP1's own verifier against the ELF's
//! verifying key, and reports its public values (the node compares them with its batch).
//! `--no-vkey` (execute only) skips computing the verifying key, which takes seconds.
//! The proving modes use `SP1_PROVER` (cpu | cuda | network | mock, default cpu) exactly as
//! sp1-sdk reads it; `execute` and `vkey` run locally whatever it says.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value};
use sp1_sdk::{
    Elf, HashableKey, LightProver, ProveRequest, Prover, ProverClient, ProvingKey, SP1Proof, SP1ProofWithPublicValues,
    SP1Stdin,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Execute,
    Vkey,
    Core,
    Compressed,
    Groth16,
    Plonk,
    Verify,
}

impl Mode {
    fn parse(name: &str) -> Result<Mode> {
        Ok(match name {
            "execute" => Mode::Execute,
            "vkey" => Mode::Vkey,
            "core" => Mode::Core,
            "compressed" => Mode::Compressed,
            "groth16" => Mode::Groth16,
            "plonk" => Mode::Plonk,
            "verify" => Mode::Verify,
            other => bail!("unknown mode {other:?} (execute, vkey, core, compressed, groth16, plonk, verify)"),
        })
    }

    fn name(self) -> &'static str {
        match self {
            Mode::Execute => "execute",
            Mode::Vkey => "vkey",
            Mode::Core => "core",
            Mode::Compressed => "compressed",
            Mode::Groth16 => "groth16",
            Mode::Plonk => "plonk",
            Mode::Verify => "verify",
        }
    }
}

struct Args {
    mode: Mode,
    elf: PathBuf,
    input: Option<PathBuf>,
    out: Option<PathBuf>,
    proof_out: Option<PathBuf>,
    proof: Option<PathBuf>,
    no_vkey: bool,
    range_elf: Option<PathBuf>,
    range_proofs: Vec<PathBuf>,
}

const USAGE: &str = "usage: clob-sp1-host <execute|core|compressed|groth16|plonk|vkey> --elf ELF \
                     [--input FILE] [--out FIXTURE.json] [--proof-out PROOF.bin] [--no-vkey] \
                     [--range-elf ELF --range-proof PROOF.bin …] | \
                     clob-sp1-host verify --elf ELF --proof PROOF.bin [--out RESULT.json]";

fn parse_args() -> Result<Args> {
    let mut argv = std::env::args().skip(1);
    let mode = Mode::parse(&argv.next().context(USAGE)?)?;
    let (mut elf, mut input, mut out, mut proof_out, mut proof, mut no_vkey) = (None, None, None, None, None, false);
    let (mut range_elf, mut range_proofs) = (None, Vec::new());
    while let Some(flag) = argv.next() {
        if flag == "--no-vkey" {
            no_vkey = true;
            continue;
        }
        let value = PathBuf::from(argv.next().with_context(|| format!("{flag} needs a value; {USAGE}"))?);
        match flag.as_str() {
            "--elf" => elf = Some(value),
            "--input" => input = Some(value),
            "--out" => out = Some(value),
            "--proof-out" => proof_out = Some(value),
            "--proof" => proof = Some(value),
            "--range-elf" => range_elf = Some(value),
            "--range-proof" => range_proofs.push(value),
            _ => bail!("unknown flag {flag}; {USAGE}"),
        }
    }
    let elf = elf.context(USAGE)?;
    if mode == Mode::Verify && proof.is_none() {
        bail!("verify needs --proof; {USAGE}");
    }
    if range_elf.is_some() != !range_proofs.is_empty() || (range_elf.is_some() && input.is_some()) {
        bail!("an aggregation takes --range-elf and one --range-proof per range, and no --input; {USAGE}");
    }
    if !matches!(mode, Mode::Vkey | Mode::Verify) && input.is_none() && range_elf.is_none() {
        bail!("{} needs --input; {USAGE}", mode.name());
    }
    if no_vkey && mode != Mode::Execute {
        bail!("--no-vkey is for execute only");
    }
    Ok(Args { mode, elf, input, out, proof_out, proof, no_vkey, range_elf, range_proofs })
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The proof bytes an L1 verifier takes: SP1's encoding for Groth16/PLONK (empty for a mock
/// proof, which only `SP1MockVerifier` accepts); core and compressed STARKs have none.
fn onchain_proof_bytes(proof: &SP1ProofWithPublicValues) -> Vec<u8> {
    match proof.proof {
        SP1Proof::Groth16(_) | SP1Proof::Plonk(_) => proof.bytes(),
        _ => Vec::new(),
    }
}

fn prover_name() -> String {
    std::env::var("SP1_PROVER").unwrap_or_else(|_| "cpu".to_string())
}

/// Fails early, with the feature to enable, where sp1-sdk would panic on an unknown prover.
fn check_prover_available(name: &str) -> Result<()> {
    match name {
        "cpu" | "mock" | "light" => Ok(()),
        "cuda" if cfg!(feature = "cuda") => Ok(()),
        "network" | "hosted" if cfg!(feature = "network") => Ok(()),
        "cuda" | "network" | "hosted" => {
            bail!("SP1_PROVER={name} needs clob-sp1-host built with `--features {name}`")
        }
        other => bail!("unknown SP1_PROVER {other:?} (cpu, cuda, network, mock)"),
    }
}

/// Writes the aggregation input for `range_proofs` (PROTOCOL.md section 14: the range program's
/// key digest, then each proof's public values) and the proofs themselves into `stdin`, after
/// checking each with SP1's verifier against `range_elf`'s key; describes the ranges.
async fn aggregation_stdin(
    light: &LightProver,
    range_elf: &PathBuf,
    range_proofs: &[PathBuf],
    stdin: &mut SP1Stdin,
) -> Result<Value> {
    let elf_bytes = std::fs::read(range_elf).with_context(|| format!("reading {}", range_elf.display()))?;
    let range_pk = light.setup(Elf::from(elf_bytes)).await.context("setup (range verifying key)")?;
    let range_vk = range_pk.verifying_key().clone();
    let mut public_values = Vec::with_capacity(range_proofs.len());
    let mut proofs = Vec::with_capacity(range_proofs.len());
    for path in range_proofs {
        let proof = SP1ProofWithPublicValues::load(path).with_context(|| format!("reading {}", path.display()))?;
        light
            .verify(&proof, &range_vk, None)
            .with_context(|| format!("SP1 refused the range proof {}", path.display()))?;
        let SP1Proof::Compressed(compressed) = proof.proof else {
            bail!("{} is a {} proof; aggregation takes compressed range proofs", path.display(), proof.proof);
        };
        public_values.push(proof.public_values.to_vec());
        proofs.push(*compressed);
    }
    let words: [u32; 8] = range_vk.hash_u32();
    let ranges: Vec<&[u8]> = public_values.iter().map(Vec::as_slice).collect();
    stdin.write_vec(clob_core::aggregate::encode_input(&words, &ranges));
    for proof in proofs {
        stdin.write_proof(proof, range_vk.vk.clone());
    }
    Ok(json!({
        "vkey": range_vk.bytes32(),
        "vkeyWords": hex0x(&range_vk.hash_bytes()),
        "publicValues": public_values.iter().map(|values| hex0x(values)).collect::<Vec<_>>(),
    }))
}

async fn run(args: Args) -> Result<Value> {
    let elf_bytes = std::fs::read(&args.elf).with_context(|| format!("reading {}", args.elf.display()))?;
    let elf = Elf::from(elf_bytes);
    let mut fixture = Map::new();
    fixture.insert("mode".into(), json!(args.mode.name()));
    fixture.insert("sp1Version".into(), json!(sp1_sdk::SP1_CIRCUIT_VERSION));

    // The light prover executes and computes keys locally; it is what `execute` and `vkey` use.
    let light = ProverClient::builder().light().build().await;
    if !args.no_vkey {
        let started = Instant::now();
        let pk = light.setup(elf.clone()).await.context("setup (verifying key)")?;
        fixture.insert("vkey".into(), json!(pk.verifying_key().bytes32()));
        fixture.insert("vkeyWords".into(), json!(hex0x(&pk.verifying_key().hash_bytes())));
        fixture.insert("setupMs".into(), json!(millis(started.elapsed())));
    }
    if let Some(proof_path) = &args.proof {
        let proof =
            SP1ProofWithPublicValues::load(proof_path).with_context(|| format!("reading {}", proof_path.display()))?;
        let pk = light.setup(elf.clone()).await.context("setup (verifying key)")?;
        let started = Instant::now();
        light.verify(&proof, pk.verifying_key(), None).context("SP1 refused the proof")?;
        fixture.insert("verifyMs".into(), json!(millis(started.elapsed())));
        fixture.insert("verified".into(), json!(true));
        fixture.insert("proofKind".into(), json!(format!("{}", proof.proof)));
        fixture.insert("publicValues".into(), json!(hex0x(proof.public_values.as_slice())));
        return Ok(Value::Object(fixture));
    }
    let mut stdin = SP1Stdin::new();
    if let Some(range_elf) = &args.range_elf {
        let ranges = aggregation_stdin(&light, range_elf, &args.range_proofs, &mut stdin).await?;
        fixture.insert("ranges".into(), ranges);
    } else {
        let Some(input_path) = &args.input else { return Ok(Value::Object(fixture)) };
        let input = std::fs::read(input_path).with_context(|| format!("reading {}", input_path.display()))?;
        stdin.write_vec(input);
    }

    let started = Instant::now();
    let (public_values, report) = light.execute(elf.clone(), stdin.clone()).await.context("execution")?;
    fixture.insert("executeMs".into(), json!(millis(started.elapsed())));
    fixture.insert("exitCode".into(), json!(report.exit_code));
    fixture.insert("cycles".into(), json!(report.total_instruction_count()));
    fixture.insert("syscalls".into(), json!(report.total_syscall_count()));
    fixture.insert("publicValues".into(), json!(hex0x(public_values.as_slice())));
    let mut syscalls = Map::new();
    for (code, count) in report.syscall_counts.iter() {
        if *count > 0 {
            syscalls.insert(format!("{code:?}"), json!(count));
        }
    }
    fixture.insert("syscallCounts".into(), Value::Object(syscalls));
    let tracker: Map<String, Value> = report.cycle_tracker.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    fixture.insert("cycleTracker".into(), Value::Object(tracker));
    if report.exit_code != 0 {
        bail!("the guest exited with code {}", report.exit_code);
    }
    if args.mode == Mode::Execute {
        fixture.insert("proof".into(), json!("0x"));
        return Ok(Value::Object(fixture));
    }

    let prover = prover_name();
    check_prover_available(&prover)?;
    fixture.insert("prover".into(), json!(prover));
    let client = ProverClient::from_env().await;
    let pk = client.setup(elf).await.context("setup (proving key)")?;
    let request = client.prove(&pk, stdin);
    let request = match args.mode {
        Mode::Core => request.core(),
        Mode::Compressed => request.compressed(),
        Mode::Groth16 => request.groth16(),
        Mode::Plonk => request.plonk(),
        Mode::Execute | Mode::Vkey | Mode::Verify => unreachable!("handled above"),
    };
    let started = Instant::now();
    let proof = request.await.map_err(|error| anyhow::anyhow!("proving: {error}"))?;
    fixture.insert("proveMs".into(), json!(millis(started.elapsed())));
    if proof.public_values.as_slice() != public_values.as_slice() {
        bail!("the proof's public values differ from the execution's");
    }
    let started = Instant::now();
    client.verify(&proof, pk.verifying_key(), None).context("verifying the proof")?;
    fixture.insert("verifyMs".into(), json!(millis(started.elapsed())));
    fixture.insert("verified".into(), json!(true));
    fixture.insert("proof".into(), json!(hex0x(&onchain_proof_bytes(&proof))));
    if let Some(path) = &args.proof_out {
        proof.save(path).with_context(|| format!("writing {}", path.display()))?;
        let size = std::fs::metadata(path)?.len();
        fixture.insert("proofFile".into(), json!(path.display().to_string()));
        fixture.insert("proofFileBytes".into(), json!(size));
    }
    Ok(Value::Object(fixture))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let out = args.out.clone();
    let fixture = serde_json::to_string_pretty(&run(args).await?)? + "\n";
    match out {
        Some(path) => std::fs::write(&path, fixture).with_context(|| format!("writing {}", path.display()))?,
        None => print!("{fixture}"),
    }
    Ok(())
}
