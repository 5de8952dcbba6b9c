// The systemd units in deploy/systemd: scored by systemd-analyze (exposure 3.0 at most),
// verified against a root holding the installed layout, their users and directories made
// by systemd-sysusers and systemd-tmpfiles in a scratch root, and their commands run as
// written (outside the sandbox) against a scratch database.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, scratch, sleep, start } from './helpers.js';

const UNITS_DIR = join(repoRoot, 'deploy', 'systemd');
const UNITS = readdirSync(UNITS_DIR)
  .filter((name) => name.endsWith('.service'))
  .sort();
const INSTALL_DIR = '/opt/mbcap-handoff';
const DATA_DIR = '/var/lib/mesh';
const MAX_EXPOSURE = 3.0;

const unitText = (name: string) => readFileSync(join(UNITS_DIR, name), 'utf8');

/** `Key=value` lines of a unit, every value of a key in order. */
function settings(name: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of unitText(name).split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) map.set(m[1]!, [...(map.get(m[1]!) ?? []), m[2]!]);
  }
  return map;
}

function tool(name: string, args: string[]) {
  const r = spawnSync(name, args, { encoding: 'utf8', timeout: 60_000 });
  return { missing: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT', code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

// systemd-analyze scores a unit file without installing it from systemd 250 on
const analyze = tool('systemd-analyze', ['--version']);
const systemdVersion = analyze.missing ? 0 : Number(/systemd (\d+)/.exec(analyze.stdout)?.[1] ?? 0);
const canAnalyze = systemdVersion >= 250;
if (!canAnalyze) {
  console.log(
    `60.deploy-units: ${analyze.missing ? 'systemd-analyze is not installed' : `systemd ${systemdVersion} is older than 250`}; the scoring and verify tests are skipped (Debian: apt-get install systemd)`,
  );
}

test('the units are present, and hardened as the README says', () => {
  assert.equal(UNITS, ['mbcap-ingestor.service', 'mbcap-server.service']);
  for (const name of UNITS) {
    const s = settings(name);
    const one = (key: string) => s.get(key)?.join(' ');
    assert.is(one('ProtectSystem'), 'strict', name);
    assert.is(one('ReadWritePaths'), DATA_DIR, name);
    for (const key of ['NoNewPrivileges', 'PrivateTmp', 'ProtectHome']) assert.is(one(key), 'yes', `${name} ${key}`);
    assert.is(one('Restart'), 'on-failure', name);
    assert.ok(Number(one('StartLimitBurst')) > 0 && Number(one('StartLimitIntervalSec')) > 0, `${name}: a start limit`);
    assert.is(one('MemoryDenyWriteExecute'), undefined, `${name}: Node's JIT needs writable, then executable memory`);
    for (const command of [...(s.get('ExecStartPre') ?? []), ...(s.get('ExecStart') ?? [])]) {
      assert.ok(command.startsWith(`${INSTALL_DIR}/`) || command.startsWith('/bin/'), `${name}: ${command}`);
    }
  }
  assert.is(settings('mbcap-ingestor.service').get('User')?.[0], 'mesh');
  assert.is(settings('mbcap-server.service').get('User')?.[0], 'meshro');
  assert.is(settings('mbcap-server.service').get('SupplementaryGroups')?.[0], 'mesh');
  assert.match(settings('mbcap-ingestor.service').get('ExecStartPre')![0]!, /mbcap-ingestor\.js migrate --db /);
});

for (const name of UNITS) {
  test(`${name}: systemd-analyze security exposure at most ${MAX_EXPOSURE}`, () => {
    if (!canAnalyze) return;
    const r = tool('systemd-analyze', ['security', '--offline=true', '--no-pager', join(UNITS_DIR, name)]);
    assert.is(r.stderr, '', `warnings while reading ${name}`);
    const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const exposure = Number(m![1]);
    console.log(`  ${name}: exposure ${exposure} (systemd-analyze security --offline=true deploy/systemd/${name})`);
    assert.ok(exposure <= MAX_EXPOSURE, `${name}: exposure ${exposure}\n${r.stdout}`);
  });
}

test('systemd-analyze verify accepts both units against the installed layout', () => {
  const systemUnits = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((dir) => existsSync(join(dir, 'multi-user.target')));
  if (!canAnalyze || !systemUnits) return;
  // A root holding what the units name: systemd's own units, the two bin files under
  // /opt, chmod, and the units where the README installs them
  const s = scratch('mbcap-units-');
  try {
    const root = s.dir;
    cpSync(systemUnits, join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    for (const app of ['ingestor', 'server']) {
      const bin = `apps/${app}/bin/mbcap-${app}.js`;
      mkdirSync(join(root, INSTALL_DIR, `apps/${app}/bin`), { recursive: true });
      copyFileSync(join(repoRoot, bin), join(root, INSTALL_DIR, bin));
      chmodSync(join(root, INSTALL_DIR, bin), 0o755);
    }
    mkdirSync(join(root, 'bin'));
    copyFileSync('/bin/chmod', join(root, 'bin/chmod'));
    chmodSync(join(root, 'bin/chmod'), 0o755);
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    for (const name of UNITS) copyFileSync(join(UNITS_DIR, name), join(root, 'etc/systemd/system', name));

    const r = tool('systemd-analyze', ['verify', `--root=${root}`, '--man=no', ...UNITS]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stderr, '', 'verify printed warnings');

    // The check itself notices a broken unit
    writeFileSync(join(root, 'etc/systemd/system', UNITS[0]!), unitText(UNITS[0]!).replace('ProtectSystem=', 'ProtectSytem='));
    const broken = tool('systemd-analyze', ['verify', `--root=${root}`, '--man=no', UNITS[0]!]);
    assert.match(broken.stderr, /Unknown key 'ProtectSytem'/);
  } finally {
    s.cleanup();
  }
});

test('sysusers.d makes both users, meshro in the group mesh; tmpfiles.d makes the directories', () => {
  const s = scratch('mbcap-units-');
  try {
    const sysusers = tool('systemd-sysusers', ['--version']);
    const tmpfiles = tool('systemd-tmpfiles', ['--version']);
    if (sysusers.missing || tmpfiles.missing) return console.log('  systemd-sysusers or systemd-tmpfiles is not installed; skipped');
    mkdirSync(join(s.dir, 'etc/sysusers.d'), { recursive: true });
    copyFileSync(join(UNITS_DIR, 'mbcap.sysusers'), join(s.dir, 'etc/sysusers.d/mbcap.conf'));
    const users = tool('systemd-sysusers', [`--root=${s.dir}`]);
    assert.is(users.code, 0, users.stderr);
    const passwd = readFileSync(join(s.dir, 'etc/passwd'), 'utf8');
    const group = readFileSync(join(s.dir, 'etc/group'), 'utf8');
    assert.match(passwd, /^mesh:x:\d+:\d+:[^:]*:\/var\/lib\/mesh:/m);
    assert.match(passwd, /^meshro:x:\d+:\d+:/m);
    assert.match(group, /^mesh:x:\d+:meshro$/m);

    // systemd-tmpfiles looks users up on this host, not in the root: numbers stand in
    mkdirSync(join(s.dir, 'etc/tmpfiles.d'), { recursive: true });
    const lines = readFileSync(join(UNITS_DIR, 'mbcap.tmpfiles'), 'utf8').replaceAll(' mesh mesh ', ` ${process.getuid!()} ${process.getgid!()} `);
    writeFileSync(join(s.dir, 'etc/tmpfiles.d/mbcap.conf'), lines);
    const dirs = tool('systemd-tmpfiles', [`--root=${s.dir}`, '--create']);
    assert.is(dirs.code, 0, dirs.stderr);
    assert.is(statSync(join(s.dir, DATA_DIR)).mode & 0o7777, 0o3770);
    assert.is(statSync(join(s.dir, DATA_DIR, 'mbcap-snapshot')).mode & 0o7777, 0o2770);
  } finally {
    s.cleanup();
  }
});

/** A unit's command line as written, with the data directory moved to `dir`. */
function commandOf(line: string, dir: string): string[] {
  return line.split(/\s+/).map((word) => word.replace(DATA_DIR, dir).replace(`${INSTALL_DIR}/`, `${repoRoot}/`));
}

async function until(what: string, check: () => boolean, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test("the units' commands run as written: migrate, chmod, both programs start and stop on SIGTERM", async () => {
  const s = scratch('mbcap-units-');
  try {
    const ingestor = settings('mbcap-ingestor.service');
    for (const line of ingestor.get('ExecStartPre')!) {
      const [command, ...args] = commandOf(line, s.dir);
      const r = command!.endsWith('.js')
        ? spawnSync(process.execPath, [command!, ...args], { encoding: 'utf8' })
        : spawnSync(command!, args, { encoding: 'utf8' });
      assert.is(r.status, 0, `${line}: ${r.stderr}`);
    }
    assert.is(statSync(join(s.dir, 'mesh.db')).mode & 0o777, 0o660);

    const server = settings('mbcap-server.service')
      .get('ExecStart')![0]!
      .replace(/--port \d+/, '--port 0');
    const runs = [ingestor.get('ExecStart')![0]!, server].map((line) => {
      const [script, ...args] = commandOf(line, s.dir);
      const p = start(script!, args);
      let log = '';
      p.child.stderr!.on('data', (chunk) => (log += chunk));
      return { line, p, log: () => log };
    });
    for (const r of runs) await until(`${r.line} to start`, () => /"event":"(ready|listening)"/.test(r.log()));
    await until('a snapshot applied', () => /"event":"applied"/.test(runs[0]!.log()));
    for (const r of runs) {
      r.p.child.kill('SIGTERM');
      const done = await r.p.done;
      assert.is(done.code, 0, `${r.line}: ${done.stderr}`);
    }
  } finally {
    s.cleanup();
  }
});

test.run();
