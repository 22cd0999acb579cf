/**
 * The format-neutral shape both parsers (YAML, INI) produce: every group definition, host
 * mention and variable as written, each with the line and path it came from, so that
 * validation can point at the exact place. Nothing here is validated or merged yet.
 */
export interface SourceLoc {
  /** 1-based line in the inventory file. */
  line: number;
  /** Dotted path inside the file, e.g. all.children.gmail.hosts.mta03.ansible_port */
  path: string;
  /** Set when the place is in another file than the inventory (group_vars/, host_vars/). */
  file?: string;
}

export interface Problem extends SourceLoc {
  message: string;
}

export interface RawVar {
  name: string;
  value: unknown;
  at: SourceLoc;
}

export interface RawHost {
  name: string;
  at: SourceLoc;
  vars: RawVar[];
}

export interface RawChild {
  name: string;
  at: SourceLoc;
}

/** One definition of a group; a group may be defined several times (the parts merge). */
export interface RawGroup {
  name: string;
  at: SourceLoc;
  hosts: RawHost[];
  children: RawChild[];
  vars: RawVar[];
}

export interface ParseResult {
  groups: RawGroup[];
  problems: Problem[];
}

export function emptyGroup(name: string, at: SourceLoc): RawGroup {
  return { name, at, hosts: [], children: [], vars: [] };
}
