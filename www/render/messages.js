// One place for hints and errors. A message never clears what the reader has done.

export function mountMessages(element) {
  let timer = 0;
  return {
    show(kind, text) {
      clearTimeout(timer);
      // The same message again (a camera frame with nothing in it, frame after frame) is not
      // written again: an alert region would announce it every time.
      if (element.dataset.kind !== kind || element.textContent !== text) {
        element.dataset.kind = kind;
        element.textContent = text;
      }
      if (kind === 'hint') timer = setTimeout(() => this.clear(), 6000);
    },
    clear() {
      clearTimeout(timer);
      // Nothing shown (a stroke clears it on every move): nothing to write.
      if (element.dataset.kind === '' && element.textContent === '') return;
      element.dataset.kind = '';
      element.textContent = '';
    },
  };
}
