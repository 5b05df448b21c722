//! `confab-test-engines`: start and stop the engines the integration suite runs on (see
//! `confab_tests::engines`). Used by `scripts/test.sh`:
//! - `pg-start DIR [--durable]`: a new PostgreSQL cluster in DIR on a free loopback port; prints
//!   its URL.
//! - `pg-stop DIR`: stop the cluster in DIR.
use anyhow::bail;
use confab_tests::engines::PgCluster;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["pg-start", dir, rest @ ..] => {
            let durable = rest.contains(&"--durable");
            let c = PgCluster::start(std::path::Path::new(dir), durable)?;
            println!("{}", c.url());
        }
        ["pg-stop", dir] => PgCluster::at(std::path::Path::new(dir))?.stop()?,
        _ => bail!("usage: confab-test-engines pg-start DIR [--durable] | pg-stop DIR"),
    }
    Ok(())
}
