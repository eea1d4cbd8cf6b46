// A promise that resolves in a later task, after the messages already waiting (a worker's
// cancellations and pauses among them): what the engine's worker and the training worker await
// between two pieces of work. Not setTimeout(0): nested timers are clamped to 4 ms, which a busy
// queue would pay on every call.

const ticker = new MessageChannel();
const ticks = [];
ticker.port1.onmessage = () => ticks.shift()?.();

export const nextTask = () => new Promise((resolve) => {
  ticks.push(resolve);
  ticker.port2.postMessage(null);
});
