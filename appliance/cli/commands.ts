import type { CliCommand } from './command.ts';
import { dnsCommand } from './dns-command.ts';
import { extensionCommand } from './extension-command.ts';
import { peerCommand } from './peer-command.ts';
import { banCommand } from './ban-command.ts';
import { callsCommand } from './calls-command.ts';
import { trunkCommand } from './trunk-command.ts';
import { groupCommand } from './group-command.ts';
import { reloadCommand, upgradeCommand } from './reload-command.ts';
import { inboundCommand, routeCommand } from './dial-plan-command.ts';
import { installCommand } from './install-command.ts';
import { policyCommand } from './policy-command.ts';

/** Every admin command on the entry point, by its first word. */
export const COMMANDS: readonly CliCommand[] = [extensionCommand, dnsCommand, peerCommand, banCommand, callsCommand, trunkCommand, routeCommand, inboundCommand, groupCommand, reloadCommand, upgradeCommand, policyCommand, installCommand];
