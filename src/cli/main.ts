#!/usr/bin/env node
/**
 * The `wiresage` command: subcommands in the data-flow order (capture → read → analyse →
 * diagnose → show). Exit codes: 0 ok, 1 unreadable or damaged input, 2 usage error.
 */
import { CaptureFileError } from '../file/types.js';
import { optionHelp, parseArgs, UsageError, type OptionSpec, type Parsed } from './args.js';
import { captureCommand, captureOptions } from './capture.js';
import { fieldsCommand, fieldsOptions } from './fields.js';
import { readCommand, readOptions } from './read.js';
import { filterCommand, filterOptions } from './filter.js';
import { convCommand, convOptions } from './conv.js';
import { expertCommand, expertOptions } from './expert.js';
import { followCommand, followOptions } from './follow.js';
import { doctorCommand, doctorOptions } from './doctor.js';
import { probeCommand, probeOptions } from './probe.js';
import { ifacesCommand, ifacesOptions } from './ifaces.js';
import { uiCommand, uiOptions } from '../web/command.js';

interface Command {
  summary: string;
  usage: string;
  options: OptionSpec[];
  run(parsed: Parsed): Promise<number>;
}

const commands: Record<string, Command> = {
  capture: { summary: 'capture packets live (tcpdump options), to files or printed; ring buffers and triggers', usage: 'wiresage capture [options] [BPF expression]', options: captureOptions, run: captureCommand },
  ifaces: { summary: 'interfaces inside a capture target (host, container:, pod:, pid:, netns:) with addresses and veth peers; --targets lists them all', usage: 'wiresage ifaces [TARGET] [--json] | wiresage ifaces --targets', options: ifacesOptions, run: ifacesCommand },
  read: { summary: 'print the packets of a capture file', usage: 'wiresage read [options] FILE', options: readOptions, run: readCommand },
  fields: { summary: 'list the field registry (filter names, types, descriptions)', usage: 'wiresage fields [PREFIX]', options: fieldsOptions, run: fieldsCommand },
  filter: { summary: 'check a display filter and print its canonical form (exit 2 when invalid)', usage: "wiresage filter --check 'EXPR' [--json]", options: filterOptions, run: filterCommand },
  conv: { summary: 'TCP/UDP conversations (tshark -z conv numbers) with state, history, RTT, close', usage: 'wiresage conv FILE [--tcp|--udp|--ip] [--sort KEY] [--json]', options: convOptions, run: convCommand },
  expert: { summary: 'expert information by severity and kind, with counts and first frames', usage: 'wiresage expert FILE [--json]', options: expertOptions, run: expertCommand },
  doctor: { summary: 'diagnose the connections in captures: what failed, why, what to do next (exit 1 when problems are found)', usage: 'wiresage doctor FILE... [--json|--format md] [--lang zh]', options: doctorOptions, run: doctorCommand },
  probe: { summary: 'connect to a service while capturing, speak its first steps (TNS redirects followed), diagnose each hop', usage: 'wiresage probe HOST:PORT [--proto oracle|mysql|postgres|redis|tls|http|tcp] [--via TARGET] [--json]', options: probeOptions, run: probeCommand },
  follow: { summary: 'one TCP stream reassembled, both directions (ascii, hex, raw, json)', usage: 'wiresage follow FILE --stream N [--format ascii|hex|raw|json]', options: followOptions, run: followCommand },
  ui: { summary: 'web UI: packet list, detail tree, findings, live capture (127.0.0.1, token in the printed URL)', usage: 'wiresage ui [FILE...] [--port N] [--host ADDR] [--root DIR]...', options: uiOptions, run: uiCommand },
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
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: ${cmd.usage}\n\n${optionHelp(cmd.options)}\n`);
    return 0;
  }
  try {
    return await cmd.run(parseArgs(args, cmd.options));
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
