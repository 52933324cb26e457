// Where the preview page's players come from: hls.js and dash.js as installed
// in node_modules, served by the preview server itself (no CDN).

export interface PlayerLibrary {
  /** Path the page loads it from. */
  route: string;
  file: string;
}

/** The installed player scripts; a clear error when the packages are missing. */
export function playerLibraries(): PlayerLibrary[] {
  const find = (id: string, pkg: string): string => {
    try {
      return require.resolve(id);
    } catch {
      throw new Error(`the preview page needs the ${pkg} package: run npm install in the shardflow folder (it is a dev dependency)`);
    }
  };
  return [
    { route: '/vendor/hls.min.js', file: find('hls.js/dist/hls.min.js', 'hls.js') },
    // dashjs exports its UMD build as the package's "require" entry.
    { route: '/vendor/dash.all.min.js', file: find('dashjs', 'dashjs') },
  ];
}
