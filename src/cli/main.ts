#!/usr/bin/env node
/**
 * The `wiresage` command: subcommands in the data-flow order (capture → read → analyse →
 * diagnose → show). Exit codes: 0 ok, 1 unreadable or damaged input, 2 usage error.
 */
import { CaptureFileError } from '../file/types.js';
import { optionHelp, parseArgs, UsageError, type OptionSpec, type Parsed } from './args.js';

/** What a command module provides once loaded. */
interface Loaded {
  options: OptionSpec[];
  run(parsed: Parsed): Promise<number>;
}

/**
 * A subcommand. Its module is imported only when the command runs (or shows its help): Node
 * compiles every module it imports, and `read` should not pay for the web server's or the
 * capture code's start-up.
 */
interface Command {
  summary: string;
  usage: string;
  load(): Promise<Loaded>;
  /** The command loads the field-declaring modules it needs itself (`read`: none for a bare count). */
  ownRegistry?: boolean;
}

/**
 * Loads every module that declares fields (the dissectors, the flow engine's `tcp.stream`,
 * `tcp.analysis.*`, `udp.stream`…), for commands that look fields up by name (filters, `fields`).
 */
async function loadFieldRegistry(): Promise<void> {
  await import('../decode/decoder.js');
  await import('../flows/index.js');
}

const commands: Record<string, Command> = {
  capture: { summary: 'capture packets live (tcpdump options), to files or printed; ring buffers and triggers', usage: 'wiresage capture [options] [BPF expression]', load: async () => { const m = await import('./capture.js'); return { options: m.captureOptions, run: m.captureCommand }; } },
  ifaces: { summary: 'interfaces inside a capture target (host, container:, pod:, pid:, netns:) with addresses and veth peers; --targets lists them all', usage: 'wiresage ifaces [TARGET] [--json] | wiresage ifaces --targets', load: async () => { const m = await import('./ifaces.js'); return { options: m.ifacesOptions, run: m.ifacesCommand }; } },
  read: { summary: 'print the packets of a capture file', usage: 'wiresage read [options] FILE', load: async () => { const m = await import('./read.js'); return { options: m.readOptions, run: m.readCommand }; }, ownRegistry: true },
  fields: { summary: 'list the field registry (filter names, types, descriptions)', usage: 'wiresage fields [PREFIX]', load: async () => { const m = await import('./fields.js'); return { options: m.fieldsOptions, run: m.fieldsCommand }; } },
  filter: { summary: 'check a display filter and print its canonical form (exit 2 when invalid)', usage: "wiresage filter --check 'EXPR' [--json]", load: async () => { const m = await import('./filter.js'); return { options: m.filterOptions, run: m.filterCommand }; } },
  conv: { summary: 'TCP/UDP conversations (tshark -z conv numbers) with state, history, RTT, close', usage: 'wiresage conv FILE [--tcp|--udp|--ip] [--sort KEY] [--json]', load: async () => { const m = await import('./conv.js'); return { options: m.convOptions, run: m.convCommand }; } },
  expert: { summary: 'expert information by severity and kind, with counts and first frames', usage: 'wiresage expert FILE [--json]', load: async () => { const m = await import('./expert.js'); return { options: m.expertOptions, run: m.expertCommand }; } },
  doctor: { summary: 'diagnose the connections in captures: what failed, why, what to do next (exit 1 when problems are found)', usage: 'wiresage doctor FILE... [--json|--format md] [--lang zh]', load: async () => { const m = await import('./doctor.js'); return { options: m.doctorOptions, run: m.doctorCommand }; } },
  probe: { summary: 'connect to a service while capturing, speak its first steps (TNS redirects followed), diagnose each hop', usage: 'wiresage probe HOST:PORT [--proto oracle|mysql|postgres|redis|tls|http|tcp] [--via TARGET] [--json]', load: async () => { const m = await import('./probe.js'); return { options: m.probeOptions, run: m.probeCommand }; } },
  follow: { summary: 'one TCP stream reassembled, both directions (ascii, hex, raw, json)', usage: 'wiresage follow FILE --stream N [--format ascii|hex|raw|json]', load: async () => { const m = await import('./follow.js'); return { options: m.followOptions, run: m.followCommand }; } },
  ui: { summary: 'web UI: packet list, detail tree, findings, live capture (127.0.0.1, token in the printed URL)', usage: 'wiresage ui [FILE...] [--port N] [--host ADDR] [--root DIR]...', load: async () => { const m = await import('../web/command.js'); return { options: m.uiOptions, run: m.uiCommand }; } },
};

function help(): string {
  const lines = ['wiresage — packet captures into answers', '', 'usage: wiresage COMMAND [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', "Run 'wiresage COMMAND --help' for a command's options.");
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version') {
    process.stdout.write('wiresage 0.1.0\n');
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`wiresage: unknown command '${name}'\n${help()}\n`);
    return 2;
  }
  if (!cmd.ownRegistry) await loadFieldRegistry();
  const { options, run } = await cmd.load();
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: ${cmd.usage}\n\n${optionHelp(options)}\n`);
    return 0;
  }
  try {
    return await run(parseArgs(args, options));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`wiresage ${name}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof CaptureFileError) {
      process.stderr.write(`wiresage ${name}: ${e.message}\n`);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR') {
      process.stderr.write(`wiresage ${name}: ${err.message}\n`);
      return 1;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`wiresage: internal error: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 70;
  },
);
