import { lampState, type ExtensionLamp, type LampChange, type LampDialog } from './lamp-board.ts';

export type { ExtensionLamp } from './lamp-board.ts';

/**
 * A worker's copy of the lamp board (lamp-board.ts): the changes the owner made, applied in
 * order; the notifier (notifier.ts) and call pickup read it, `onChange` hears every change.
 */
export class LampView {
  private readonly byExtension = new Map<string, readonly LampDialog[]>();
  onChange: ((change: LampChange) => void) | undefined;

  apply(changes: readonly LampChange[]): void {
    for (const c of changes) {
      if (c.dialogs.length === 0) this.byExtension.delete(c.extension);
      else this.byExtension.set(c.extension, c.dialogs);
      this.onChange?.(c);
    }
  }

  /** Replaces everything (a worker that just started gets the whole board). */
  reset(changes: readonly LampChange[]): void {
    this.byExtension.clear();
    this.apply(changes);
  }

  dialogsOf(extension: string): readonly LampDialog[] {
    return this.byExtension.get(extension) ?? [];
  }

  lamp(extension: string): ExtensionLamp {
    const dialogs = this.dialogsOf(extension);
    return { extension, state: lampState(dialogs), dialogs };
  }

  /** Every extension with a dialog now. */
  busy(): ExtensionLamp[] {
    return [...this.byExtension.keys()].sort().map((x) => this.lamp(x));
  }
}
