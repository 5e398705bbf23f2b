/**
 * Pieces of the messages a person reads when the model refuses something.
 */

/** A list of files for a message: all of them when few, else the first five and how many more. */
export function describeFiles(files: string[]): string {
  return files.length <= 5 ? files.join(', ') : `${files.slice(0, 5).join(', ')} and ${files.length - 5} more`;
}
