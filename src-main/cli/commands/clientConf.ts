/**
 * `pulsar-tunnel client-conf NAME`: prints a client.conf for local tools (pulsar-client,
 * pulsar-admin, pulsar-perf) that points at the profile's tunnel, or with --json the connection
 * snippets for the usual clients.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { CliExit, type CliContext } from '../context.ts';
import { portOption } from '../portOption.ts';
import { profilesIo, withStore, type ProfilesIo } from './profiles.ts';

/** Registers `client-conf NAME` on `program`. */
export function registerClientConfCommand(program: Command, ctx: Partial<CliContext> & Partial<ProfilesIo> = {}): void {
  const io = profilesIo(ctx);
  program
    .command('client-conf')
    .description('print a client.conf for local tools that points at a profile\'s tunnel (no TLS, no credentials: the tunnel adds them)')
    .argument('<name>', 'profile name')
    .option('--port <port>', 'the tunnel\'s local Pulsar port, when it differs from the profile (e.g. listen.port 0)', portOption)
    .option('--web-port <port>', 'the tunnel\'s local web port', portOption)
    .option('-o, --output <file>', 'write the client.conf to this file')
    .option('--json', 'print the service URL, the client.conf and snippets for Java, Python, Node, pulsar-client and pulsar-perf as JSON')
    .action(async (name: string, options: { port?: number; webPort?: number; output?: string; json?: boolean }) => {
      // Loaded when the command runs, not at every start of the CLI (see profiles.ts).
      const [{ clientConfFor, configuredAddresses, missingWebPortNote, snippetsFor }, { writeFileAtomic }] = await Promise.all([
        import('../../core/profiles/export.ts'),
        import('../../core/profiles/storeFiles.ts'),
      ]);
      await withStore(io, async (store) => {
        const { profile } = await store.get(name);
        const addresses = configuredAddresses(profile, { port: options.port, webPort: options.webPort });
        const web = { webServiceUrl: profile.webServiceUrl !== undefined };
        const conf = clientConfFor(addresses, profile.name, web);
        // Said on stderr too: a file without webServiceUrl fails in pulsar-admin with no word why.
        if (web.webServiceUrl && addresses.http === undefined) io.stderr.write(`pulsar-tunnel: note: ${missingWebPortNote(profile.name)}\n`);
        if (options.output !== undefined) {
          const target = path.resolve(options.output);
          try {
            await writeFileAtomic(target, conf, 0o644);
          } catch (error) {
            throw new CliExit(2, `--output: cannot write ${target} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
          }
        }
        if (options.json) io.stdout.write(`${JSON.stringify(snippetsFor(addresses, profile.name, web), null, 2)}\n`);
        else if (options.output === undefined) io.stdout.write(conf);
        else io.stdout.write(`wrote ${path.resolve(options.output)}\n`);
      });
    });
}
