import './private/matchers';
