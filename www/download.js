// Downloads, with one sentence for each way they fail (the engine's weights, exercise files).

/** `fetch(url)`'s response, or an Error saying that `what` could not be downloaded, and why. */
export async function download(url, what) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`${what} could not be downloaded (${error.message})`);
  }
  if (!response.ok) throw new Error(`${what} could not be downloaded (HTTP ${response.status})`);
  return response;
}
