// The web app's build (web/dist) is embedded in the binary when it exists at build time
// (`gateway::web`): rebuild when it changes.
fn main() {
    println!("cargo:rerun-if-changed=../../web/dist");
}
