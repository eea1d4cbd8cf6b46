// The camera as an input: nothing is asked of the browser until the reader presses the button;
// then each video frame's guide box (the square the reader holds the digit in) goes through the
// same preprocessing as an upload, as fast as the network answers (the demo's scheduler keeps
// only the newest frame). Frames stay in this page: they are drawn into a canvas and read from
// there, never sent or stored. Freeze keeps the current frame as the digit; Stop ends the camera.

/** The guide box: a centred square, this share of the frame's shorter side. */
export const GUIDE = 0.8;
/** The side (px) the guide box is read at: ample for a digit that becomes 20×20. */
const READ_SIDE = 160;

/** A sentence for the reader from a getUserMedia failure. */
function cameraError(error) {
  switch (error?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'the browser or you did not allow the camera (it can be allowed in the address bar)';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'no camera was found';
    case 'NotReadableError':
      return 'the camera is in use by another program';
    default:
      return error?.message || 'the camera could not be started';
  }
}

/**
 * @param {{start: HTMLButtonElement, freeze: HTMLButtonElement, stop: HTMLButtonElement,
 *   video: HTMLVideoElement, view: HTMLElement, onFrame: (image: ImageData) => void,
 *   onFreeze: () => void, onError: (message: string) => void, onState?: (state: string) => void}} parts
 *   `view` holds the video and its guide box (shown while the camera runs). `onFrame` gets the
 *   guide box of each frame; `onState` hears 'live' and 'off'.
 */
export function mountCamera({ start, freeze, stop, video, view, onFrame, onFreeze, onError, onState = () => {} }) {
  let stream = null;
  let live = false;
  let waiting = 0; // the frame callback's handle
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = READ_SIDE;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });

  const show = (state) => {
    start.hidden = state === 'live';
    freeze.hidden = stop.hidden = view.hidden = state !== 'live';
    view.dataset.state = state;
    onState(state);
  };

  /** The guide box of the frame on screen, as RGBA pixels. */
  function read() {
    const side = Math.min(video.videoWidth, video.videoHeight) * GUIDE;
    const x = (video.videoWidth - side) / 2;
    const y = (video.videoHeight - side) / 2;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, READ_SIDE, READ_SIDE);
    ctx.drawImage(video, x, y, side, side, 0, 0, READ_SIDE, READ_SIDE);
    return ctx.getImageData(0, 0, READ_SIDE, READ_SIDE);
  }

  // One read per video frame where the browser says when frames come; else per animation frame.
  const next = (fn) => (video.requestVideoFrameCallback ? video.requestVideoFrameCallback(fn) : requestAnimationFrame(fn));
  const cancel = (handle) => (video.cancelVideoFrameCallback ? video.cancelVideoFrameCallback(handle) : cancelAnimationFrame(handle));
  function tick() {
    if (!live) return;
    if (video.videoWidth > 0) onFrame(read());
    waiting = next(tick);
  }

  function end() {
    live = false;
    cancel(waiting);
    for (const track of stream?.getTracks() ?? []) track.stop();
    stream = null;
    video.srcObject = null;
  }

  start.addEventListener('click', async () => {
    if (stream) return;
    if (!navigator.mediaDevices?.getUserMedia) {
      onError('this browser gives no camera to this page (a camera needs a secure page: https or localhost)');
      return;
    }
    start.disabled = true;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment', width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
      video.srcObject = stream;
      await video.play();
      live = true;
      show('live');
      tick();
    } catch (error) {
      end();
      show('off');
      onError(cameraError(error));
    } finally {
      start.disabled = false;
    }
  });
  freeze.addEventListener('click', () => {
    if (!live) return;
    onFrame(read()); // the frame the reader saw when pressing: the digit from now on
    end();
    show('off');
    onFreeze();
  });
  stop.addEventListener('click', () => {
    end();
    show('off');
  });
  show('off');

  return {
    /** Ends the camera (another digit replaced its frames). */
    stop() {
      if (!stream) return;
      end();
      show('off');
    },
    get live() { return live; },
  };
}
