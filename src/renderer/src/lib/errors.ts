/**
 * Error text for people. The service names the API call and argument that failed
 * ("createProject(request.path): expected an absolute path…") because that is what a developer
 * needs in a log; the window shows what the user typed and what to do instead.
 */

/** What each argument name in the service's messages is, in the words of the window. */
const ARGUMENTS: Record<string, string> = {
  path: 'The project folder',
  'request.path': 'The project folder',
  projectPath: 'The project folder',
  'request.projectPath': 'The project folder',
  'request.name': 'The project name',
  name: 'The name',
  file: 'The file',
  imageId: 'The image',
  paths: 'The image paths',
};

const NETWORK = /^(Failed to fetch|NetworkError|Load failed|fetch failed)/i;

export function isNetworkError(e: unknown): boolean {
  return e instanceof TypeError && NETWORK.test(e.message);
}

export function userMessage(message: string, apiMethods: readonly string[]): string {
  if (NETWORK.test(message)) {
    return 'Lost the connection to the OneMark server (stopped or restarted?); reconnecting…';
  }
  let text = message;
  const m = /^([a-zA-Z]+)(?:\(([^)]*)\))?:\s*/.exec(text);
  if (m && apiMethods.includes(m[1])) {
    const arg = m[2] ? ARGUMENTS[m[2].replace(/\[\d+\]$/, '')] : undefined;
    text = text.slice(m[0].length);
    const abs = /^expected an absolute path, got "(.*)"$/.exec(text);
    if (abs) {
      text = `"${abs[1]}" is not a full path: give the absolute path, starting at the root (e.g. /home/me/ceph-project)`;
      return arg ? `${arg}: ${text}` : text;
    }
    if (arg) text = `${arg}: ${text}`;
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  return text;
}
