/**
 * `pulsar-tunnel doctor <profile.json | --profile NAME> [--topic T] [--broker H:P ...] [--idle-check] [--json]
 * [--proxy-config]`: checks a profile's path to its cluster step by step and says what to change.
 * Exit status: 0 when every step that ran passed (warnings allowed), 1 when a step failed, 2 for bad
 * input (no or two profiles, a profile that cannot be loaded, an empty topic).
 */
import type { Command } from 'commander';
import { AppError } from '../../../shared/errors.ts';
import type { DoctorReport, DoctorStep } from '../../../shared/model/doctor.ts';
import type { TunnelConfig } from '../../core/config/tunnelConfig.ts';
import { CliExit, type CliContext } from '../context.ts';
import { printable, printableLines } from '../printable.ts';

interface DoctorCliOptions {
  profile?: string;
  topic?: string;
  broker?: string[];
  idleCheck?: boolean;
  json?: boolean;
  proxyConfig?: boolean;
  readSecrets?: boolean;
}

const marks: Record<DoctorStep['status'], string> = { ok: '✓', failed: '✗', warning: '!', skipped: '-' };

/** One step as human text: a mark, the title, the timing, the detail, and the fix when there is one. */
export function formatStepText(step: DoctorStep): string {
  const timing = step.status === 'skipped' ? 'skipped' : `${step.durationMs} ms`;
  const lines = [`${marks[step.status]} ${step.title} (${timing}): ${step.detail}`];
  if (step.code && step.status !== 'ok') lines.push(`    ${step.status === 'failed' ? 'error' : 'warning'}: ${step.code}`);
  if (step.fix && step.status !== 'ok') lines.push(...step.fix.split('\n').map((line, index) => `    ${index === 0 ? 'what to do: ' : '  '}${line}`));
  // Details quote what the proxy and brokers answered: escaped, line by line.
  return printableLines(lines.join('\n'));
}

/** The generated proxy configuration as human text. */
export function formatProxyConfigText(report: DoctorReport): string {
  const config = report.proxyConfig;
  if (!config) return '';
  return [
    '# Only the names this run met are routed below: the service host, and with --topic the broker its',
    '# lookup named. Every broker of the cluster needs a route too: list them with',
    '# `pulsar-admin brokers list <cluster-name>` and add an entry per broker like those below.',
    '--- ATS sni.yaml ---',
    config.atsSniYaml,
    '--- ATS records.config ---',
    config.atsRecordsConfig,
    '--- haproxy ---',
    config.haproxy,
    '--- nginx ---',
    config.nginx,
    '--- geo-replication through the proxy ---',
    config.pulsarAdmin,
  ].join('\n');
}

/** Registers `doctor` on `program`. */
export function registerDoctorCommand(program: Command, context: CliContext): void {
  program
    .command('doctor')
    .description('check a profile step by step (proxy, TLS, certificates, Pulsar CONNECT, lookup) and say what to change')
    .argument('[profile-file]', 'profile file (JSON, version 1)')
    .option('--profile <name>', 'a profile from the profile store')
    .option('--topic <topic>', 'also look up this topic and connect to the broker that serves it')
    .option('--broker <host:port>', 'also check this broker through the proxy with its own SNI (repeat for each broker of the cluster)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--idle-check', 'also measure the proxy\'s idle timeout (holds an idle connection up to 40 s)')
    .option('--json', 'print one JSON document (the report) instead of text')
    .option('--read-secrets', 'let a profile file read the secrets it names in environment variables or in files outside its folder (each read is announced on stderr); without it such a file is refused with the list')
    .option('--proxy-config', 'also print the ATS, haproxy and nginx configuration and the pulsar-admin command this profile needs')
    .action(async (file: string | undefined, options: DoctorCliOptions) => {
      if (file && options.profile) throw new CliExit(2, 'Give either a profile file or --profile NAME, not both.');
      if (!file && !options.profile) throw new CliExit(2, 'Name a profile file (pulsar-tunnel doctor profile.json) or a stored profile (--profile NAME).');
      if (options.topic !== undefined && options.topic.trim() === '') throw new CliExit(2, '--topic must not be empty.');
      const { parseBrokerList } = await import('../../core/diagnostics/brokersCheck.ts');
      try {
        parseBrokerList(options.broker ?? []);
      } catch (error) {
        throw new CliExit(2, `--broker: ${(error as Error).message}`);
      }
      const out = process.stdout;
      // The engine is loaded when the command runs, not at every start of the CLI.
      const [{ profileFailureReport, runDoctor }, { loadProfileFile }] = await Promise.all([
        import('../../core/diagnostics/doctor.ts'),
        import('../../core/profiles/profileFileLoader.ts'),
      ]);
      const printStep = options.json ? undefined : (step: DoctorStep) => void out.write(`${formatStepText(step)}\n`);

      let config: TunnelConfig;
      try {
        // Each secret the file makes us read from this computer is announced on stderr first (stdout
        // may be the JSON report).
        const onSecretRead = ({ message }: { message: string }) => void process.stderr.write(`warning: ${printable(message)}\n`);
        config = file ? await loadProfileFile(file, { readSecrets: options.readSecrets === true, onSecretRead }) : await context.storedProfileConfig(options.profile as string);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        const report = profileFailureReport(options.profile ?? file ?? '', error);
        if (options.json) out.write(`${JSON.stringify(report, null, 2)}\n`);
        else for (const step of report.steps.filter((candidate) => candidate.status === 'failed')) printStep?.(step);
        // A keychain that cannot answer is a failure of this machine, not of the input (as in `run`).
        throw new CliExit(error.code.startsWith('KEYCHAIN_') ? 1 : 2, `${error.code}: the profile cannot be loaded.`);
      }

      if (!options.json) {
        const via = config.proxy ? ` through ${config.proxy.host}:${config.proxy.port}` : '';
        out.write(`${printable(`Checking profile "${config.name}": pulsar+ssl://${config.service.host}:${config.service.port}${via}${options.idleCheck ? ' (the idle check takes up to 40 s)' : ''}`)}\n`);
      }
      const report = await runDoctor(config, { topic: options.topic, idleCheck: options.idleCheck ?? false, brokers: options.broker ?? [], onStep: printStep });
      if (options.json) {
        // The proxy configuration is there only when asked for, as the text output does.
        const { proxyConfig, ...rest } = report;
        out.write(`${JSON.stringify(options.proxyConfig ? { ...rest, proxyConfig } : rest, null, 2)}\n`);
      } else {
        const warnings = report.steps.filter((step) => step.status === 'warning').length;
        out.write(
          report.ok
            ? `All checks passed in ${report.durationMs} ms${warnings > 0 ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}.\n`
            : `Stopped at "${printable(report.steps.find((step) => step.name === report.failedStep)?.title ?? report.failedStep ?? '')}" after ${report.durationMs} ms.\n`,
        );
        if (options.proxyConfig) out.write(`\n${printableLines(formatProxyConfigText(report))}`);
      }
      if (!report.ok) {
        const failed = report.steps.find((step) => step.name === report.failedStep)?.title ?? report.failedStep ?? '';
        throw new CliExit(1, `doctor: the step "${printable(failed)}" failed.`);
      }
    });
}
