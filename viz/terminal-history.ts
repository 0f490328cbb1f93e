/**
 * The Terminal panel's command history, as a shell keeps it: Up walks back through the commands
 * typed, Down walks forward and ends at the line being typed (kept as a draft). Pure data.
 */
export class CommandHistory {
  private readonly lines: string[] = [];
  /** Where Up/Down stand: lines.length means "the draft". */
  private cursor = 0;
  private draft = "";

  /** The commands typed, oldest first. */
  get entries(): readonly string[] {
    return this.lines;
  }

  /** Records a command (not blank ones, not a repeat of the last one) and resets the cursor. */
  push(line: string): void {
    if (line.trim() !== "" && this.lines.at(-1) !== line) this.lines.push(line);
    this.cursor = this.lines.length;
    this.draft = "";
  }

  /** The previous command (the oldest stays); `current` is kept as the draft when leaving it. */
  up(current: string): string {
    if (this.cursor === this.lines.length) this.draft = current;
    if (this.cursor > 0) this.cursor--;
    return this.lines[this.cursor] ?? this.draft;
  }

  /** The next command, or the draft past the newest. */
  down(): string {
    if (this.cursor < this.lines.length) this.cursor++;
    return this.cursor === this.lines.length ? this.draft : this.lines[this.cursor]!;
  }
}
