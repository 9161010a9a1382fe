// Push-to-talk capture: hands each block of microphone samples (float32, at the
// AudioContext's rate, which the page sets to 16 kHz) to the page.
class PcmCapture extends AudioWorkletProcessor {
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (ch && ch.length) this.port.postMessage(ch.slice(0));
    return true;
  }
}
registerProcessor("pcm-capture", PcmCapture);
