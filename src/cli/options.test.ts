import { describe, expect, test } from '@jest/globals';
import { Command } from 'commander';
import { addCommonFlags, modelOptionsFrom, type CommonFlags } from './options.js';

const flagsOf = (args: string[]): CommonFlags => addCommonFlags(new Command('x').exitOverride(), false).parse(args, { from: 'user' }).opts<CommonFlags>();

describe('modelOptionsFrom', () => {
  test('loopback endpoints are allowed in directory mode only: objects from the Kubernetes API never get them', () => {
    expect(modelOptionsFrom(flagsOf(['--manifests', 'examples'])).allowLoopbackEndpoints).toBe(true);
    expect(modelOptionsFrom(flagsOf([])).allowLoopbackEndpoints).toBe(false);
  });
});
