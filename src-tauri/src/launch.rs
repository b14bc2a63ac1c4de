use clap::Parser;

/// Command-line options of the `outlast` binary.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "outlast",
    version,
    about = "Outlast: a desktop messenger that stays usable while its backend is partly down"
)]
pub struct LaunchOptions {
    /// Start the embedded mock backend on loopback and sign in to it as the demo user.
    #[arg(long, env = "OUTLAST_MOCK")]
    pub mock: bool,
    /// Start in the tray without showing the window (used when starting at login).
    #[arg(long)]
    pub hidden: bool,
}
