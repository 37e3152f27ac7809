import { describe, expect, it } from 'vitest';
import { parseReference, pinnedString, RegistryError } from '../../registry/index.js';

const env = { MESHWASM_STORE: '/var/store' } as NodeJS.ProcessEnv;
const d = 'sha256:' + 'ab'.repeat(32);

describe('parseReference', () => {
  it('reads registry references with host, port, nested repository, tag and digest', () => {
    expect(parseReference('127.0.0.1:5000/filters/authz:v1', env)).toEqual({
      kind: 'remote',
      registry: '127.0.0.1:5000',
      repository: 'filters/authz',
      tag: 'v1',
      digest: undefined,
    });
    expect(parseReference(`ghcr.io/acme/authz@${d}`, env)).toEqual({
      kind: 'remote',
      registry: 'ghcr.io',
      repository: 'acme/authz',
      tag: undefined,
      digest: d,
    });
    expect(parseReference('localhost/x', env)).toMatchObject({ registry: 'localhost', repository: 'x', tag: 'latest' });
    expect(parseReference(`oci://reg.example.com:443/a/b:v2@${d}`, env)).toMatchObject({
      registry: 'reg.example.com:443',
      tag: 'v2',
      digest: d,
    });
  });

  it("reads skopeo's oci:DIR:TAG and bare repo:tag (the default store)", () => {
    expect(parseReference('oci:/tmp/layout:v1', env)).toEqual({
      kind: 'layout',
      path: '/tmp/layout',
      tag: 'v1',
      digest: undefined,
    });
    expect(parseReference('oci:/tmp/layout', env)).toMatchObject({ kind: 'layout', tag: 'latest' });
    expect(parseReference('filters/authz:dev', env)).toEqual({
      kind: 'layout',
      path: '/var/store/filters/authz',
      repository: 'filters/authz',
      tag: 'dev',
      digest: undefined,
    });
    expect(pinnedString(parseReference('filters/authz:dev', env), d)).toBe(`filters/authz@${d}`);
  });

  it('refuses malformed references and says how to write one', () => {
    for (const bad of ['', 'Reg.io/UPPER:v1', 'host.io/a:bad tag', `host.io/a@sha256:123`, 'oci::v1']) {
      expect(() => parseReference(bad, env), bad).toThrow(RegistryError);
    }
    expect(() => parseReference('host.io/a@md5:abc', env)).toThrow(/not a sha256 digest/);
    expect(() => parseReference('host.io/Bad:v1', env)).toThrow(/host\[:port\]\/repository/);
  });
});
